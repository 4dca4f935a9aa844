// Consent records (hub/console/consent.ts over consent-store.ts) on SQLite and on PostgreSQL: records
// are append-only and read back in order with every field; a grant sets the roster flags the kiosks
// honour; a withdrawal of identification erases the child's templates on the hub, leaves tombstones a
// device's next pull carries, and the record's cursor is acknowledged once the device pulls past it;
// a guardian not linked to the child, an empty purpose list and a term already over are refused; a
// lapsed term is withdrawn by the sweep once (and the flag with it), never twice. A request to know
// lists the consent records; a destruction erases them with the child's other console rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubStorage } from '../../hub/index.js';
import { ConsentService, consentStoreFor, peopleStoreFor } from '../../hub/console/index.js';
import { privacyServiceFor, type PrivacyService } from '../../hub/privacy/index.js';
import type { WireRosterChange } from '../../protocol/index.js';
import { backends, person, template, type StorageBackend } from './backends.js';

const NOW = Date.UTC(2026, 11, 7, 5, 0, 0);

describe.each(backends)('consent records on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let storage: HubStorage;
  let privacy: PrivacyService;
  let today = '2026-12-07';
  let service: ConsentService;

  const personData = async (id: string): Promise<Extract<WireRosterChange, { type: 'person'; op: 'upsert' }>['data'] | null> => {
    const change = await storage.rosterEntity('person', id);
    return change?.op === 'upsert' && change.type === 'person' ? change.data : null;
  };

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    storage = await backend.open();
    await storage.applyRoster([person('p-1', { biometricConsent: false, displayConsent: 'none' }), person('p-2'), template('t-1', 'p-1'), template('t-2', 'p-1'), template('t-9', 'p-2')]);
    await storage.addDevice('kiosk-1', 'Main entrance', 'scrypt$unused');
    const people = await peopleStoreFor(storage);
    await people.migrate();
    const details = (id: string, iin: string) => ({ personId: id, iin, surname: 'Сейтқали', givenName: 'Әлихан', patronymic: null, birthDate: '2015-01-01' });
    await people.save([details('p-1', '150101500001'), details('p-2', '150101500002')], [{ id: 'g-1', name: 'Гүлнар Сейтқали', phone: '+77010000001' }, { id: 'g-2', name: 'Other Parent', phone: '+77010000002' }], [{ guardianId: 'g-1', childId: 'p-1' }, { guardianId: 'g-2', childId: 'p-2' }], true, NOW);
    const store = await consentStoreFor(storage);
    await store.migrate();
    const found = await privacyServiceFor(storage, { now: () => NOW });
    if (!found) throw new Error('no privacy service');
    privacy = found;
    service = new ConsentService({ storage, store, people, privacy, now: () => NOW, today: () => today });
  }, 120_000);

  afterAll(async () => {
    await storage?.close();
    await backend?.stop();
  });

  it('records a grant with every field, sets the roster flags, and reads it back', async () => {
    const outcome = await service.record({ childId: 'p-1', guardianId: 'g-1', action: 'grant', purposes: ['identification', 'board'], channel: 'paper', givenOn: '2026-12-01', until: '2027-05-31', note: 'form №12' }, 'director');
    expect(outcome.ok).toBe(true);
    const { records, states } = await service.history('p-1');
    expect(records).toEqual([
      expect.objectContaining({ childId: 'p-1', guardianId: 'g-1', guardianName: 'Гүлнар Сейтқали', action: 'grant', purposes: ['identification', 'board'], channel: 'paper', givenOn: '2026-12-01', until: '2027-05-31', recordedMs: NOW, recordedBy: 'director', note: 'form №12' }),
    ]);
    expect(records[0]?.rosterCursor).toEqual(expect.any(Number));
    expect(states.identification).toEqual({ granted: true, until: '2027-05-31', lapsed: false, unrecorded: false });
    expect(await personData('p-1')).toMatchObject({ biometricConsent: true, displayConsent: 'short' });
    expect(await service.flags('p-1')).toEqual({ identification: true, board: true });
  });

  it('refuses a guardian of another child, no purpose, a term already over and a date in the future', async () => {
    const base = { childId: 'p-1', guardianId: 'g-1', action: 'grant' as const, purposes: ['board' as const], channel: 'in_person' as const, givenOn: '2026-12-07', until: null, note: '' };
    expect(await service.record({ ...base, guardianId: 'g-2' }, 'director')).toEqual({ ok: false, problem: 'not_guardian' });
    expect(await service.record({ ...base, purposes: [] }, 'director')).toEqual({ ok: false, problem: 'no_purpose' });
    expect(await service.record({ ...base, until: '2026-12-06' }, 'director')).toEqual({ ok: false, problem: 'until_past' });
    expect(await service.record({ ...base, givenOn: '2026-12-08' }, 'director')).toEqual({ ok: false, problem: 'given_future' });
    expect(await service.record({ ...base, childId: 'p-none' }, 'director')).toEqual({ ok: false, problem: 'not_found' });
    expect((await service.history('p-1')).records).toHaveLength(1);
  });

  it('a withdrawal of identification erases the templates on the hub, a pull carries the tombstones, and the device acknowledges', async () => {
    const before = await storage.rosterPage(null, 1000, true);
    if (!before) throw new Error('no roster');
    await privacy.rosterPulled('kiosk-1', before.cursor);
    const outcome = await service.record({ childId: 'p-1', guardianId: 'g-1', action: 'withdraw', purposes: ['identification'], channel: 'parent_page', givenOn: '2026-12-07', until: '2027-01-01', note: '' }, 'director');
    if (!outcome.ok) throw new Error(outcome.problem);
    const cursor = outcome.record.rosterCursor;
    expect(cursor).toBeGreaterThan(before.cursor);
    // A withdrawal has no term, whatever the form sent.
    expect(outcome.record.until).toBeNull();
    expect((await storage.rosterEntity('template', 't-1'))?.op).toBe('delete');
    expect((await storage.rosterEntity('template', 't-2'))?.op).toBe('delete');
    expect((await storage.rosterEntity('template', 't-9'))?.op).toBe('upsert');
    const page = await storage.rosterPage(before.cursor, 1000, false);
    expect(page?.changes).toEqual(expect.arrayContaining([{ op: 'delete', type: 'template', id: 't-1' }, { op: 'delete', type: 'template', id: 't-2' }]));
    expect(await personData('p-1')).toMatchObject({ biometricConsent: false, displayConsent: 'short' });
    expect(await service.acks(cursor ?? 0)).toEqual([expect.objectContaining({ deviceId: 'kiosk-1', done: false })]);
    await privacy.rosterPulled('kiosk-1', page?.cursor ?? 0);
    expect(await service.acks(cursor ?? 0)).toEqual([expect.objectContaining({ deviceId: 'kiosk-1', done: true, ackedCursor: page?.cursor })]);
    const { records, states } = await service.history('p-1');
    expect(records.map((r) => r.action)).toEqual(['grant', 'withdraw']);
    expect(states.identification.granted).toBe(false);
    expect(states.board).toMatchObject({ granted: true, until: '2027-05-31' });
  });

  it('a lapsed term counts as withdrawn: the sweep writes one term_expired record and clears the flag', async () => {
    expect(await service.expireDue()).toEqual([]);
    today = '2027-06-01';
    expect((await service.history('p-1')).states.board).toMatchObject({ granted: false, lapsed: true });
    // A sweep for another child (as that child's page runs it) leaves this one for its own.
    expect(await service.expireDue('p-2')).toEqual([]);
    const written = await service.expireDue();
    expect(written).toEqual([expect.objectContaining({ childId: 'p-1', action: 'withdraw', channel: 'term_expired', purposes: ['board'], guardianId: null, recordedBy: 'hub', givenOn: '2027-06-01' })]);
    expect(await personData('p-1')).toMatchObject({ displayConsent: 'none' });
    expect(await service.expireDue()).toEqual([]);
    const { records, states } = await service.history('p-1');
    expect(records.map((r) => r.channel)).toEqual(['paper', 'parent_page', 'term_expired']);
    expect(states.board).toEqual({ granted: false, until: null, lapsed: false, unrecorded: false });
    // The other child has no records: their flags are the roster's, untouched.
    expect((await service.history('p-2')).states.identification.unrecorded).toBe(true);
    expect(await personData('p-2')).toMatchObject({ biometricConsent: true });
  });

  it('a request to know lists the consent records, and a destruction erases them', async () => {
    const know = await privacy.register({ kind: 'know', personId: 'p-1', requester: 'Гүлнар', channel: 'in_person', receivedOn: '2026-12-07', note: '' });
    const answered = await privacy.execute(know.id);
    const consents = answered.export?.items.filter((i) => i.kind === 'consent') ?? [];
    expect(consents.map((c) => c.data.channel)).toEqual(['paper', 'parent_page', 'term_expired']);
    expect(consents[0]?.source).toMatchObject({ table: 'console_consents', origin: 'school administration (console, director)' });
    expect((await service.record({ childId: 'p-2', guardianId: 'g-2', action: 'grant', purposes: ['board'], channel: 'email', givenOn: today, until: null, note: '' }, 'director')).ok).toBe(true);
    const destroy = await privacy.register({ kind: 'destroy', personId: 'p-1', requester: 'Гүлнар', channel: 'in_person', receivedOn: '2026-12-07', note: '' });
    const { request } = await privacy.execute(destroy.id);
    // The 3 consent records, the child's details and guardian link, and the guardian left with no child.
    expect(request.record?.consoleRowsDeleted).toBe(6);
    expect((await service.history('p-1')).records).toEqual([]);
    // Another child's records are untouched.
    expect((await service.history('p-2')).records).toEqual([expect.objectContaining({ childId: 'p-2', channel: 'email' })]);
  });
});
