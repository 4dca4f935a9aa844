// People as the console manages them. A pupil or guardian is a roster person (HubStorage's roster,
// the very rows the kiosks pull by cursor), so an imported child reaches every kiosk on its next
// sync with no second path; what a kiosk must never hold (ИИН, name parts, birth date, phones) is
// kept beside it in PeopleStore, keyed by the same id. The side tables are written first: if the
// roster write then fails, a retry finds the ids already given to those ИИНs and phones and
// upserts the same people again.
import { v7 as uuidv7 } from 'uuid';
import type { PersonStatus, WireRosterChange } from '../../protocol/index.js';
import type { HubStorage } from '../storage.js';
import type { GuardianInput, PupilRow } from './class-import.js';
import type { GuardianLink, GuardianRecord, PeopleStore, PersonDetails } from './people-store.js';

type PersonData = Extract<WireRosterChange, { op: 'upsert'; type: 'person' }>['data'];

export interface PersonView {
  id: string;
  name: string;
  group: string | null;
  status: PersonStatus;
  details: PersonDetails | null;
  guardians: GuardianRecord[];
}

export interface PersonInput {
  iin: string;
  birthDate: string;
  surname: string;
  name: string;
  patronymic: string | null;
  group: string;
  guardians: GuardianInput[];
}

export type SaveResult = { ok: true; id: string; cursor: number } | { ok: false; problem: 'iin_taken' | 'not_found' };

export function fullName(p: { surname: string; name: string; patronymic: string | null }): string {
  return [p.surname, p.name, p.patronymic].filter(Boolean).join(' ');
}

function pupilData(id: string, input: PersonInput, previous: PersonData | null): PersonData {
  return {
    // What the kiosk already knows of this person (consent, validity, status) is kept on re-import.
    validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short', status: 'active',
    ...previous,
    id, name: fullName(input), shortName: `${input.name} ${input.surname.charAt(0)}.`, group: input.group, role: 'student',
  };
}

function guardianData(id: string, name: string, previous: PersonData | null): PersonData {
  return { validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'none', status: 'active', ...previous, id, name, shortName: null, group: null, role: 'guardian' };
}

export class PeopleService {
  constructor(
    private readonly storage: HubStorage,
    private readonly store: PeopleStore,
  ) {}

  private async current(id: string): Promise<PersonData | null> {
    const change = await this.storage.rosterEntity('person', id);
    return change?.op === 'upsert' && change.type === 'person' ? change.data : null;
  }

  /** Upserts pupils (by ИИН) and their guardians (by phone) in the roster; returns the roster cursor. */
  async importPupils(rows: readonly PersonInput[], nowMs: number): Promise<number> {
    const known = await this.store.idsByIin(rows.map((r) => r.iin));
    const phones = [...new Set(rows.flatMap((r) => r.guardians.map((g) => g.phone)))];
    const guardianIds = await this.store.guardianIdsByPhone(phones);
    const guardians = new Map<string, GuardianRecord>();
    const links: GuardianLink[] = [];
    const details: PersonDetails[] = [];
    const changes: WireRosterChange[] = [];
    for (const row of rows) {
      const id = known.get(row.iin) ?? `p-${uuidv7()}`;
      details.push({ personId: id, iin: row.iin, surname: row.surname, givenName: row.name, patronymic: row.patronymic, birthDate: row.birthDate });
      changes.push({ op: 'upsert', type: 'person', data: pupilData(id, row, known.has(row.iin) ? await this.current(id) : null) });
      for (const g of row.guardians) {
        const guardianId = guardianIds.get(g.phone) ?? `g-${uuidv7()}`;
        guardianIds.set(g.phone, guardianId);
        guardians.set(guardianId, { id: guardianId, name: g.name, phone: g.phone });
        links.push({ guardianId, childId: id });
      }
    }
    for (const g of guardians.values()) changes.push({ op: 'upsert', type: 'person', data: guardianData(g.id, g.name, await this.current(g.id)) });
    await this.store.save(details, [...guardians.values()], links, true, nowMs);
    return this.storage.applyRoster(changes);
  }

  /** Creates (id null) or edits one pupil; an ИИН already given to someone else is refused. */
  async savePupil(id: string | null, input: PersonInput, nowMs: number): Promise<SaveResult> {
    const owner = (await this.store.idsByIin([input.iin])).get(input.iin);
    if (owner !== undefined && owner !== id) return { ok: false, problem: 'iin_taken' };
    const previous = id === null ? null : await this.current(id);
    if (id !== null && previous === null) return { ok: false, problem: 'not_found' };
    const personId = id ?? `p-${uuidv7()}`;
    await this.store.save([{ personId, iin: input.iin, surname: input.surname, givenName: input.name, patronymic: input.patronymic, birthDate: input.birthDate }], [], [], false, nowMs);
    const cursor = await this.storage.applyRoster([{ op: 'upsert', type: 'person', data: pupilData(personId, input, previous) }]);
    return { ok: true, id: personId, cursor };
  }

  async setStatus(id: string, status: 'active' | 'blocked'): Promise<number | null> {
    const current = await this.current(id);
    if (current === null) return null;
    return this.storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...current, status } }]);
  }

  /**
   * Erases a person: the hub-only details, then the roster rows (the kiosks drop them on their next
   * pull), with any guardian left without a child. Returns the roster cursor.
   */
  async erase(id: string): Promise<number> {
    const orphans = await this.store.erase(id);
    return this.storage.applyRoster([id, ...orphans].map((personId) => ({ op: 'delete', type: 'person', id: personId })));
  }

  async person(id: string): Promise<PersonView | null> {
    const data = await this.current(id);
    if (data === null) return null;
    const [details, guardians] = await Promise.all([this.store.details([id]), this.store.guardiansOf([id])]);
    return { id, name: data.name, group: data.group, status: data.status, details: details.get(id) ?? null, guardians: guardians.get(id) ?? [] };
  }

  /** The class's pupils with their details and guardians, by name. */
  async classList(people: ReadonlyArray<{ id: string; name: string; group: string | null; role: string; status: string }>, group: string): Promise<PersonView[]> {
    const pupils = people.filter((p) => p.role === 'student' && p.group === group);
    const ids = pupils.map((p) => p.id);
    const [details, guardians] = await Promise.all([this.store.details(ids), this.store.guardiansOf(ids)]);
    return pupils
      .map((p) => ({ id: p.id, name: p.name, group: p.group, status: p.status as PersonStatus, details: details.get(p.id) ?? null, guardians: guardians.get(p.id) ?? [] }))
      .sort((a, b) => a.name.localeCompare(b.name, 'kk'));
  }
}

export function rowToInput(row: PupilRow): PersonInput {
  return { iin: row.iin, birthDate: row.birthDate, surname: row.surname, name: row.name, patronymic: row.patronymic, group: row.group, guardians: row.guardians };
}
