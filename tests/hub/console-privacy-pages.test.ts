// The consent and data-request pages over HTTP on both storages (the Chromium test runs on SQLite
// with a real kiosk; this one proves the pages on PostgreSQL too): a consent and its withdrawal posted
// as forms, the template tombstone in a device's next pull and the device's acknowledgement on the
// page once it pulls again; a destroy request registered, carried out and closed on the device's
// acknowledgement; a class teacher refused with 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleStoreFor } from '../../hub/console/index.js';
import type { WireRosterChange } from '../../protocol/index.js';
import { backends, template, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

const DEVICE_TOKEN = 'device-token-for-console-tests';

describe.each(backends)('consent and data-request pages on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let director: ConsoleClient;
  let cursor: string | null = null;

  /** One roster pull as kiosk-1; its `since` acknowledges the previous pull. */
  async function pull(): Promise<WireRosterChange[]> {
    const response = await fetch(`${harness.url}/v1/devices/kiosk-1/roster${cursor === null ? '' : `?since=${cursor}`}`, { headers: { authorization: `Bearer ${DEVICE_TOKEN}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { changes: WireRosterChange[]; cursor: string };
    cursor = page.cursor;
    return page.changes;
  }

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    const people = await peopleStoreFor(harness.storage);
    await people.save([{ personId: 'p-1', iin: '150101600001', surname: 'Ғалымова', givenName: 'Әсел', patronymic: null, birthDate: '2015-01-01' }], [{ id: 'g-1', name: 'Гүлнар Ғалымова', phone: '+77010000001' }], [{ guardianId: 'g-1', childId: 'p-1' }], true, Date.now());
    await harness.storage.applyRoster([template('t-p1', 'p-1'), template('t-p2', 'p-2')]);
    await harness.account('director', 'director');
    await harness.account('teacher5a', 'class_teacher', '5А');
    director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    await pull();
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  it('records a consent and its withdrawal; the withdrawal reaches the device, whose acknowledgement the page shows', async () => {
    const form = { guardianId: 'g-1', channel: 'paper', purposes: 'identification', givenOn: '2026-12-01', until: '', note: '' };
    expect((await director.postForm('/console/people/p-1/consent', { ...form, action: 'grant' })).status).toBe(303);
    expect((await director.postForm('/console/people/p-1/consent', { ...form, action: 'withdraw', givenOn: '2026-12-02' })).status).toBe(303);
    const refused = await director.postForm('/console/people/p-1/consent', { ...form, action: 'grant', guardianId: 'g-other' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Осы оқушымен байланысты өкілді таңдаңыз.');
    const waiting = await (await director.get('/console/people/p-1/consent')).text();
    expect(waiting).toMatch(/data-action="withdraw"[^]*data-device="kiosk-1" data-done="false"/);
    expect(await pull()).toEqual(expect.arrayContaining([{ op: 'delete', type: 'template', id: 't-p1' }]));
    await pull();
    const done = await (await director.get('/console/people/p-1/consent')).text();
    expect(done).toMatch(/data-action="withdraw"[^]*data-device="kiosk-1" data-done="true"/);
    expect((done.match(/data-record=/g) ?? []).length).toBe(2);
  });

  it('registers a destroy request, carries it out and closes it on the device\'s acknowledgement', async () => {
    const registered = await director.postForm('/console/privacy', { kind: 'destroy', personId: 'p-2', requester: 'the father', channel: 'letter', receivedOn: '2026-12-01', note: '' });
    expect(registered.status).toBe(303);
    const path = registered.headers.get('location')?.split('?')[0] ?? '';
    expect((await director.postForm(`${path}/execute`, {})).status).toBe(303);
    expect(await (await director.get(path)).text()).toContain('data-status="awaiting_devices"');
    expect(await pull()).toEqual(expect.arrayContaining([{ op: 'delete', type: 'template', id: 't-p2' }, { op: 'delete', type: 'person', id: 'p-2' }]));
    await pull();
    const closed = await director.postForm(`${path}/close`, {});
    expect(closed.headers.get('location')).toContain('done=closed');
    const html = await (await director.get(path)).text();
    expect(html).toContain('data-status="closed"');
    expect(html).toMatch(/<tr data-device="kiosk-1" data-done="true">/);
  });

  it('refuses a class teacher', async () => {
    const teacher = await ConsoleClient.signIn(harness.url, 'teacher5a', PASSWORD);
    expect((await teacher.get('/console/privacy')).status).toBe(403);
    expect((await teacher.get('/console/people/p-1/consent')).status).toBe(403);
    expect((await teacher.postForm('/console/people/p-1/consent', { action: 'grant', guardianId: 'g-1', channel: 'paper', purposes: 'board', givenOn: '2026-12-01' })).status).toBe(403);
  });
});
