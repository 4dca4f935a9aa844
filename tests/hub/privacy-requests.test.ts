// Data-subject requests (Law 94-V) against a real hub on port 0, on SQLite and on PostgreSQL: the
// register with deadlines and the overdue list; a know export that lists what the hub holds with
// its sources and never template bytes; a block and a destroy that go out through the roster and
// close only when every registered device has pulled past them, with each device's acknowledgement
// in the record. The byte scan after a destruction is made on SQLite only (its db, -wal and -shm):
// PostgreSQL keeps old row versions in its WAL segments until the server recycles them and in
// every base backup, which no statement of the hub can clear; there the hub deletes the rows,
// pseudonymises the events and VACUUMs, and this file checks what is readable through SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { peopleStoreFor } from '../../hub/console/index.js';
import { deadlineFor, DEFAULT_DEADLINES, privacyOptionsFromEnv } from '../../hub/privacy/index.js';
import { encodeTemplateVector } from '../../protocol/index.js';
import { scanFiles } from '../helpers/file-scan.js';
import { adminCall } from '../sync/helpers.js';
import { CHILD, PullingDevice, auditAbout, childNeedles, childRoster, newRequest, otherRoster, startPrivacyHub, type PrivacyHub } from './privacy-fixture.js';

const WALL = Date.UTC(2026, 8, 1, 3, 0, 0);
const IIN = '140512600015';
const SOLE_PHONE = '+77011234567';

function arrival(seq: number, personId: string, ref: string): Record<string, unknown> {
  return {
    id: `0190a000-0000-7000-8000-${String(seq).padStart(12, '0')}`, seq, type: 'access.granted', at: new Date(WALL + seq).toISOString(), wallMs: WALL + seq, timeTrusted: true,
    bootId: 'boot-a', monoMs: 1000 + seq, door: 'main', direction: 'in', personId, credential: { kind: 'card', ref }, reason: null, data: { greeting: personId === CHILD.id ? CHILD.name : 'Other' },
  };
}

describe('deadlines', () => {
  it('counts working days from the received date, skipping weekends and holidays', () => {
    // Friday 2 January 2026: 3 working days are Mon 5, Tue 6, Wed 7; with 7 January a holiday, Thu 8.
    expect(deadlineFor('2026-01-02', 'know', DEFAULT_DEADLINES)).toBe('2026-01-07');
    expect(deadlineFor('2026-01-02', 'know', { ...DEFAULT_DEADLINES, holidays: ['2026-01-07'] })).toBe('2026-01-08');
    expect(deadlineFor('2026-01-02', 'destroy', DEFAULT_DEADLINES)).toBe('2026-01-05');
    expect(deadlineFor('2026-01-05', 'block', { ...DEFAULT_DEADLINES, workingDays: { know: 10, block: 2, destroy: 1 } })).toBe('2026-01-07');
  });

  it('takes the settings from the environment and refuses malformed ones', () => {
    expect(privacyOptionsFromEnv({ ESIK_HUB_PRIVACY_DAYS: 'know=10, destroy=2', ESIK_HUB_HOLIDAYS: '2026-01-07', ESIK_HUB_TIME_ZONE: 'Asia/Almaty' })).toEqual({
      deadlines: { workingDays: { know: 10, destroy: 2 }, holidays: ['2026-01-07'] }, timeZone: 'Asia/Almaty',
    });
    expect(() => privacyOptionsFromEnv({ ESIK_HUB_PRIVACY_DAYS: 'forget=1' })).toThrow(/ESIK_HUB_PRIVACY_DAYS/);
    expect(() => privacyOptionsFromEnv({ ESIK_HUB_HOLIDAYS: '7 January' })).toThrow(/ESIK_HUB_HOLIDAYS/);
    expect(() => privacyOptionsFromEnv({ ESIK_HUB_TIME_ZONE: 'Mars/Olympus' })).toThrow(/ESIK_HUB_TIME_ZONE/);
  });
});

describe.each([['sqlite' as const], ['postgres' as const]])('data-subject requests on %s', (kind) => {
  let hub: PrivacyHub;
  let kioskA: PullingDevice;
  let kioskB: PullingDevice;

  beforeAll(async () => {
    hub = await startPrivacyHub(kind, ['2026-01-07']);
    expect((await adminCall(hub, 'POST', '/v1/admin/roster/batch', { changes: [...childRoster(), ...otherRoster()] })).status).toBe(200);
    kioskA = await PullingDevice.register(hub, 'kiosk-a');
    kioskB = await PullingDevice.register(hub, 'kiosk-b');
    await kioskA.sync();
    await kioskB.sync();
    expect(await kioskA.push([arrival(1, CHILD.id, 'c-aliya'), arrival(2, 'p-other', 'c-other'), arrival(3, CHILD.id, 'c-aliya')])).toBe(200);
    // What the console keeps beside the roster: the child's ИИН, a guardian only this child has, and
    // one shared with another child (kept by a destroy, with that child's link).
    await (await peopleStoreFor(hub.storage)).save(
      [{ personId: CHILD.id, iin: IIN, surname: 'Жұмабаева', givenName: 'Әлия', patronymic: 'Қасымқызы', birthDate: '2014-05-12' }],
      [{ id: 'g-sole', name: 'Қасым Жұмабаев', phone: SOLE_PHONE }, { id: 'g-shared', name: 'Гүлнар Әбенова', phone: '+77017654321' }],
      [{ guardianId: 'g-sole', childId: CHILD.id }, { guardianId: 'g-shared', childId: CHILD.id }, { guardianId: 'g-shared', childId: 'p-other' }],
      true, Date.now(),
    );
  }, 60_000);
  afterAll(async () => hub?.stop());

  it('refuses requests without the admin token before reading the body, and bounds the body', async () => {
    const big = JSON.stringify({ kind: 'know', personId: CHILD.id, requester: 'x'.repeat(20_000), channel: 'letter', receivedOn: '2026-01-02' });
    const anonymous = await fetch(`${hub.url}/v1/admin/privacy/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(anonymous.status).toBe(401);
    const tooBig = await fetch(`${hub.url}/v1/admin/privacy/requests`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.adminToken}` }, body: big });
    expect(tooBig.status).toBe(413);
    expect((await adminCall(hub, 'POST', '/v1/admin/privacy/requests', { kind: 'forget', personId: CHILD.id, requester: 'x', channel: 'letter', receivedOn: '2026-01-02' })).status).toBe(400);
  });

  it('registers requests with deadlines and lists the overdue ones', async () => {
    const old = await newRequest(hub, 'know', '2026-01-02', 'p-other');
    expect(old).toMatchObject({ deadline: '2026-01-08', status: 'open' });
    const today = (await adminCall(hub, 'GET', '/v1/admin/privacy/requests')).json.today as string;
    const fresh = await newRequest(hub, 'know', today, 'p-other');
    const overdue = (await adminCall(hub, 'GET', '/v1/admin/privacy/requests?overdue=1')).json.requests as Array<{ id: string; overdue: boolean }>;
    expect(overdue.map((r) => r.id)).toContain(old.id);
    expect(overdue.map((r) => r.id)).not.toContain(fresh.id);
    expect(overdue.every((r) => r.overdue)).toBe(true);
  });

  it('answers a request to know with what the hub holds and where it came from, never template bytes', async () => {
    await auditAbout(hub, CHILD.id);
    const request = await newRequest(hub, 'know', '2026-09-01');
    const answer = await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${request.id}/execute`);
    expect(answer.status).toBe(200);
    const exported = answer.json.export as { summary: Record<string, number>; items: Array<{ kind: string; source: { table: string; origin: string }; data: Record<string, unknown> }> };
    expect(exported.summary).toMatchObject({ person: 1, person_details: 1, guardian: 2, credential: 1, template: 1, event: 2, audit: 1 });
    expect(exported.items.find((i) => i.kind === 'person_details')).toMatchObject({ source: { table: 'console_people' }, data: { iin: IIN, birth_date: '2014-05-12' } });
    expect(exported.items.filter((i) => i.kind === 'guardian').map((i) => i.data.phone).sort()).toEqual(['+77011234567', '+77017654321']);
    expect(exported.items.find((i) => i.kind === 'audit')?.source).toMatchObject({ table: 'console_audit', origin: 'console account director' });
    expect(exported.items.find((i) => i.kind === 'person')?.data.name).toBe(CHILD.name);
    expect(exported.items.find((i) => i.kind === 'template')?.data).toMatchObject({ modality: 'face', vectorBytes: 512 });
    expect(exported.items.filter((i) => i.kind === 'event').every((i) => i.source.table === 'events' && i.source.origin === 'device kiosk-a')).toBe(true);
    const text = JSON.stringify(answer.json);
    expect(text).not.toContain(encodeTemplateVector(CHILD.vector).slice(0, 32));
    expect(text).not.toContain('Other Pupil');
    expect(answer.json.request.status).toBe('closed');
  });

  it('blocks through the roster and closes when every device has pulled past the block', async () => {
    const request = await newRequest(hub, 'block', '2026-09-01');
    const executed = await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${request.id}/execute`);
    expect(executed.json.request.status).toBe('awaiting_devices');
    await kioskA.sync();
    const blocked = kioskA.received.filter((c) => c.op === 'upsert' && c.type === 'person' && c.data.id === CHILD.id).at(-1);
    expect(blocked).toMatchObject({ data: { status: 'blocked' } });
    await kioskA.sync(); // acknowledges
    let state = (await adminCall(hub, 'GET', `/v1/admin/privacy/requests/${request.id}`)).json;
    expect(state.status).toBe('awaiting_devices');
    expect(state.record.acknowledgements.devices).toEqual([
      expect.objectContaining({ deviceId: 'kiosk-a', done: true }),
      expect.objectContaining({ deviceId: 'kiosk-b', done: false }),
    ]);
    await kioskB.sync();
    await kioskB.sync();
    state = (await adminCall(hub, 'GET', `/v1/admin/privacy/requests/${request.id}`)).json;
    expect(state.status).toBe('closed');
    expect(state.record.acknowledgements.devices.every((d: { done: boolean; ackedAt: string | null }) => d.done && d.ackedAt !== null)).toBe(true);
  });

  it('shows which devices have pulled past a consent withdrawal (the purge of the templates)', async () => {
    expect((await adminCall(hub, 'PUT', '/v1/admin/people/p-consent', { name: 'Consent Pupil', group: '5B', biometricConsent: true })).status).toBe(200);
    expect((await adminCall(hub, 'PUT', '/v1/admin/templates/t-consent', { personId: 'p-consent', modality: 'face', algo: 'faceapi-resnet128-v1', data: encodeTemplateVector(CHILD.vector.map((v) => -v)) })).status).toBe(200);
    const withdrawn = await adminCall(hub, 'PUT', '/v1/admin/people/p-consent', { name: 'Consent Pupil', group: '5B', biometricConsent: false });
    const cursor = withdrawn.json.cursor as string;
    const acks = async (): Promise<Array<[string, boolean]>> =>
      ((await adminCall(hub, 'GET', `/v1/admin/privacy/devices?cursor=${cursor}`)).json.devices as Array<{ deviceId: string; done: boolean }>).map((d) => [d.deviceId, d.done]);
    expect(await acks()).toEqual([['kiosk-a', false], ['kiosk-b', false]]);
    await kioskA.sync();
    await kioskA.sync();
    expect(await acks()).toEqual([['kiosk-a', true], ['kiosk-b', false]]);
    expect(kioskA.received).toContainEqual({ op: 'delete', type: 'template', id: 't-consent' });
    await kioskB.sync();
    await kioskB.sync();
    expect(await acks()).toEqual([['kiosk-a', true], ['kiosk-b', true]]);
  });

  it('destroys through the roster, leaves nothing readable on the hub, and closes with each device\'s acknowledgement', async () => {
    const people = await peopleStoreFor(hub.storage);
    const request = await newRequest(hub, 'destroy', '2026-09-01');
    expect((await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${request.id}/execute`)).json.request.status).toBe('awaiting_devices');
    // Recorded on kiosk-a before it applied the delete, pushed after the destruction.
    expect(await kioskA.push([arrival(4, CHILD.id, 'c-aliya')])).toBe(200);
    await kioskA.sync();
    await kioskB.sync();
    const tombstones = kioskB.received.filter((c) => c.op === 'delete').map((c) => `${c.type}/${c.op === 'delete' ? c.id : ''}`);
    expect(tombstones).toEqual(expect.arrayContaining([`person/${CHILD.id}`]));
    expect((await adminCall(hub, 'GET', `/v1/admin/privacy/requests/${request.id}`)).json.status).toBe('awaiting_devices');
    await kioskA.sync();
    await kioskB.sync();
    const closed = (await adminCall(hub, 'GET', `/v1/admin/privacy/requests/${request.id}`)).json;
    expect(closed.status).toBe('closed');
    expect(closed.record).toMatchObject({ eventsPseudonymised: 2, lateEventsPseudonymised: 1 });
    expect(closed.record.acknowledgements.devices.map((d: { deviceId: string; done: boolean }) => [d.deviceId, d.done])).toEqual([['kiosk-a', true], ['kiosk-b', true]]);

    expect(await hub.storage.rosterEntity('person', CHILD.id)).toMatchObject({ op: 'delete' });
    expect(await hub.storage.rosterEntity('credential', 'c-aliya')).toMatchObject({ op: 'delete' });
    expect(await hub.storage.rosterEntity('person', 'p-other')).toMatchObject({ op: 'upsert' });
    const events = (await hub.storage.readEvents(0, 100)).events.map((e) => e.event);
    expect(events.filter((e) => e.personId === CHILD.id)).toEqual([]);
    expect(events.filter((e) => e.personId?.startsWith('erased-'))).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain(CHILD.name);
    expect(events.find((e) => e.personId === 'p-other')?.credential).toMatchObject({ ref: 'c-other' });
    expect(closed.record).toMatchObject({ consoleRowsDeleted: 4 });
    expect((await people.details([CHILD.id])).size).toBe(0);
    expect((await people.guardiansOf([CHILD.id])).get(CHILD.id) ?? []).toEqual([]);
    expect((await people.guardiansOf(['p-other'])).get('p-other')?.map((g) => g.id)).toEqual(['g-shared']);
    if (hub.dbDir) {
      expect(closed.record).toMatchObject({ walTruncated: true, walTruncatedAtClose: true });
      const needles = [...childNeedles(), { what: 'ИИН', bytes: Buffer.from(IIN) }, { what: "sole guardian's phone", bytes: Buffer.from(SOLE_PHONE) }];
      expect(await scanFiles([hub.dbDir], needles)).toEqual([]);
    }
  });
});
