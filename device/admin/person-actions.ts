// Block, unblock and erase on request (Law No. 94-V): the change goes through the store like an
// upstream page, then the in-memory roster (and with it the matcher) follows at once.
import type { RosterChange } from '../../sync/store/index.js';
import type { KioskServices } from '../services.js';
import { personActioned } from '../system-events.js';

export async function changePersonStatus(services: KioskServices, personId: string, status: 'blocked' | 'active'): Promise<{ found: boolean }> {
  const person = services.roster.person(personId);
  if (person === undefined) return { found: false };
  const changes: RosterChange[] = [{ op: 'upsert', type: 'person', data: { ...person, status } }];
  const result = await services.store.roster.applyLocal(changes);
  services.roster.applyChanges(changes, result.purgedPersonIds);
  if (status === 'blocked') {
    await services.kiosk.record(personActioned('person.blocked', personId));
  }
  return { found: true };
}

export async function erasePerson(services: KioskServices, personId: string): Promise<{ found: boolean }> {
  if (services.roster.person(personId) === undefined) return { found: false };
  await services.store.purgePerson(personId);
  services.roster.applyChanges([{ op: 'delete', type: 'person', id: personId }], [personId]);
  await services.kiosk.record(personActioned('person.erased', personId));
  return { found: true };
}
