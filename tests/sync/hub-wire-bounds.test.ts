// The hub against hostile bodies on a real socket over a real SQLite file: refused before the body is
// read without a token, bounded times, depth and ids on the wire (rejected per event, the others
// stored), out-of-order seqs, and an event read API that no stored row can break.
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SyncError, type HubHttp, type HubResponse } from '../../sync/client/http.js';
import { RosterPuller } from '../../sync/client/roster-puller.js';
import { SAFE_ID } from '../../protocol/index.js';
import type { RosterChange, RosterStore } from '../../sync/store/types.js';
import { adminCall, pushEvents, registerDevice, repoRoot, silentLogger, startInProcessHub, wireEvent, type InProcessHub } from './helpers.js';

/**
 * Sends the headers of a large body and its first 64 KiB only, either declared (Content-Length 60 MB)
 * or chunked (no length: the hub cannot refuse it by its size); resolves with what came back and
 * whether the hub closed the connection.
 */
function headersAndFirstChunk(port: number, path: string, authorization: string | null, framing: 'declared' | 'chunked'): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, closed });
    };
    const timer = setTimeout(() => finish(false), 5000);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    const first = Buffer.alloc(64 * 1024, 0x20);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `${framing === 'declared' ? `Content-Length: ${60 * 1024 * 1024}` : 'Transfer-Encoding: chunked'}\r\n` +
        `${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`,
    );
    socket.write(framing === 'declared' ? first : Buffer.concat([Buffer.from(`${first.length.toString(16)}\r\n`), first, Buffer.from('\r\n')]));
  });
}

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = { d: value };
  return value;
}

/** JSON text of an event whose `data` is nested `depth` levels deep (too deep for JSON.stringify). */
function deepEventText(event: Record<string, unknown>, depth: number): string {
  return `${JSON.stringify(event).slice(0, -1)},"data":${'{"d":'.repeat(depth)}"bottom"${'}'.repeat(depth)}}`;
}

describe('hub: hostile bodies and stored rows', () => {
  let hub: InProcessHub;
  let token: string;
  let deviceId: string;
  let nextSeq = 1;
  const seq = (): number => nextSeq++;
  let devices = 0;

  beforeAll(async () => {
    hub = await startInProcessHub();
  });
  // Each test is its own device, with seqs from 1: one test's refusals do not move another's seqs.
  beforeEach(async () => {
    devices += 1;
    deviceId = `kiosk-${devices}`;
    token = await registerDevice(hub, deviceId);
    nextSeq = 1;
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers 401 to a large body without a valid token before the body is sent, and closes the connection', async () => {
    for (const framing of ['chunked', 'declared'] as const) {
      for (const [path, authorization] of [
        [`/v1/devices/${deviceId}/events`, null],
        [`/v1/devices/${deviceId}/events`, `Bearer ${'w'.repeat(43)}`],
        ['/v1/admin/roster/batch', null],
        ['/v1/admin/roster/batch', `Bearer ${'w'.repeat(43)}`],
        ['/v1/no/such/route', null],
      ] as const) {
        const { answer, closed } = await headersAndFirstChunk(hub.port, path, authorization, framing);
        expect(answer, `${framing} ${path}`).toMatch(path === '/v1/no/such/route' ? /^HTTP\/1\.1 404/ : /^HTTP\/1\.1 401/);
        expect(closed, `${framing} ${path}`).toBe(true);
      }
    }
  });

  it('rejects absurd and future trusted times per event, keeps untrusted 1970 times, stores the rest', async () => {
    const good = wireEvent(seq());
    const absurd = wireEvent(seq(), { wallMs: 9e15 });
    const tomorrowAndMore = wireEvent(seq(), { wallMs: Date.now() + 3 * 86_400_000 });
    const before2020 = wireEvent(seq(), { wallMs: Date.UTC(2019, 0, 1) });
    const untrusted1970 = wireEvent(seq(), { timeTrusted: false, wallMs: 5000, at: '1970-01-01T05:00:05.000+05:00', bootId: 'boot-cold' });
    const hugeMono = wireEvent(seq(), { monoMs: 1e300 });
    const absurdAt = wireEvent(seq(), { at: '9999-12-31T23:59:59.000+05:00' });
    const { status, json } = await pushEvents(hub, deviceId, token, { events: [good, absurd, tomorrowAndMore, before2020, untrusted1970, hugeMono, absurdAt] });
    expect(status).toBe(200);
    expect(json.accepted).toEqual([good.id, untrusted1970.id]);
    expect((json.rejected as Array<{ id: string; error: string }>).map((r) => [r.id, r.error.split(':').slice(0, 2).join(':')])).toEqual([
      [absurd.id, 'schema: wallMs'],
      [tomorrowAndMore.id, 'schema: wallMs'],
      [before2020.id, 'schema: wallMs'],
      [hugeMono.id, 'schema: monoMs'],
      [absurdAt.id, 'schema: at'],
    ]);
    const read = await adminCall(hub, 'GET', `/v1/events?after=0&deviceId=${deviceId}`);
    expect(read.json.events.find((e: { event: { id: string } }) => e.event.id === untrusted1970.id)).toMatchObject({ timeSource: 'unknown', trueAt: null });
  });

  it.skipIf(process.env.ESIK_TEST_HUB_STORAGE === 'postgres')('a bad row already stored does not break /v1/events: it is passed over and reported, the consumer moves on', async () => {
    const before = wireEvent(seq());
    expect((await pushEvents(hub, deviceId, token, { events: [before] })).json.accepted).toEqual([before.id]);
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(hub.dbFile, (error) => (error ? reject(error) : resolve(handle)));
    });
    const insert = (id: string, s: number, trueMs: number, body: string): Promise<void> =>
      new Promise((resolve, reject) =>
        db.run(
          'INSERT INTO events (id, device_id, seq, type, boot_id, mono_ms, time_trusted, true_ms, received_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [id, deviceId, s, 'access.granted', 'boot-a', 1, 1, trueMs, Date.now(), body],
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    const poisoned = wireEvent(seq(), { wallMs: 9e15 });
    await insert(poisoned.id as string, poisoned.seq as number, 9e15, JSON.stringify(poisoned));
    await insert(uuidv7(), seq(), Date.now(), '{not json');
    await new Promise<void>((resolve) => db.close(() => resolve()));
    const after = wireEvent(seq());
    expect((await pushEvents(hub, deviceId, token, { events: [after] })).json.accepted).toEqual([after.id]);

    const all = await adminCall(hub, 'GET', '/v1/events?after=0&limit=5000');
    expect(all.status).toBe(200);
    const ids = (all.json.events as Array<{ event: { id: string } }>).map((e) => e.event.id);
    expect(ids).toContain(before.id);
    expect(ids).toContain(after.id);
    expect(ids).not.toContain(poisoned.id);
    expect(all.json.skipped).toHaveLength(2);
    // Paging one row at a time walks past the bad rows instead of stopping at them.
    let after0 = 0;
    const walked: string[] = [];
    for (let page = 0; page < 100; page += 1) {
      const { status, json } = await adminCall(hub, 'GET', `/v1/events?after=${after0}&limit=1`);
      expect(status).toBe(200);
      walked.push(...(json.events as Array<{ event: { id: string } }>).map((e) => e.event.id));
      if (!json.more) break;
      expect(json.next).toBeGreaterThan(after0);
      after0 = json.next as number;
    }
    expect(walked).toEqual(ids);
  });

  it('an event nested 5,000 levels deep is rejected alone; the other events of its batch are stored', async () => {
    const first = wireEvent(seq());
    const deep = wireEvent(seq());
    const last = wireEvent(seq());
    const body = `{"events":[${JSON.stringify(first)},${deepEventText(deep, 5000)},${JSON.stringify(last)}]}`;
    const { status, json } = await pushEvents(hub, deviceId, token, body);
    expect(status).toBe(200);
    expect(json.accepted).toEqual([first.id, last.id]);
    expect(json.rejected).toEqual([{ id: deep.id, error: expect.stringMatching(/^schema: data: nested deeper than 8/) }]);
    const nineDeep = wireEvent(seq(), { data: nested(9) });
    expect((await pushEvents(hub, deviceId, token, { events: [nineDeep] })).json.rejected).toHaveLength(1);
    const eightDeep = wireEvent(seq(), { data: nested(8) });
    expect((await pushEvents(hub, deviceId, token, { events: [eightDeep] })).json.accepted).toEqual([eightDeep.id]);
  });

  it('a body nested a million levels deep is a 400, on the push route and on admin routes', async () => {
    const deepText = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const push = await pushEvents(hub, deviceId, token, `{"events":[{"data":${deepText}}]}`);
    expect(push.status).toBe(413); // 2 MB: above the push limit before any parsing
    const smaller = `${'['.repeat(400_000)}${']'.repeat(400_000)}`;
    const pushSmaller = await pushEvents(hub, deviceId, token, `{"events":[${JSON.stringify(wireEvent(seq())).slice(0, -1)},"extra":${smaller}}]}`);
    expect(pushSmaller.status).toBe(200);
    expect(pushSmaller.json.rejected).toEqual([{ id: expect.any(String), error: expect.stringMatching(/^schema: extra: nested deeper/) }]);
    const admin = await fetch(`${hub.url}/v1/admin/roster/batch`, {
      method: 'POST', headers: { authorization: `Bearer ${hub.adminToken}`, 'content-type': 'application/json' }, body: `{"changes":${deepText}}`,
    });
    expect(admin.status).toBe(400);
    expect(await admin.json()).toMatchObject({ error: 'invalid_payload', message: expect.stringMatching(/nested deeper/) });
  });

  it('rejects per event: deviceId of the wrong type, ids outside the safe alphabet, seqs out of order', async () => {
    const s1 = seq();
    const s2 = seq();
    const inOrder = wireEvent(s2);
    const goingBack = wireEvent(s1);
    const arrayDevice = wireEvent(seq(), { deviceId: ['kiosk-1'] });
    const nulPerson = wireEvent(seq(), { personId: 'p-1\u0000' });
    const rloBoot = wireEvent(seq(), { bootId: 'boot\u202Eevil' });
    const first = wireEvent(s1);
    const { json } = await pushEvents(hub, deviceId, token, { events: [first, inOrder, goingBack, arrayDevice, nulPerson, rloBoot] });
    expect(json.accepted).toEqual([first.id, inOrder.id]);
    expect((json.rejected as Array<{ id: string; error: string }>).map((r) => [r.id, r.error.split(':').slice(0, 2).join(':')])).toEqual([
      [goingBack.id, 'schema: seq'],
      [arrayDevice.id, 'schema: deviceId'],
      [nulPerson.id, 'schema: personId'],
      [rloBoot.id, 'schema: bootId'],
    ]);
  });

  it('admin routes refuse ids with NUL or a right-to-left override, in the URL and in a batch', async () => {
    const person = { name: 'X', biometricConsent: false };
    expect((await adminCall(hub, 'PUT', `/v1/admin/people/${encodeURIComponent('p-\u202Egnp')}`, person)).status).toBe(400);
    expect((await adminCall(hub, 'PUT', `/v1/admin/people/${encodeURIComponent('p-1\u0000')}`, person)).status).toBe(400);
    expect((await adminCall(hub, 'PUT', '/v1/admin/credentials/c-1', { personId: 'p-1\u0000', kind: 'card', value: '04A2' })).status).toBe(400);
    const batch = await adminCall(hub, 'POST', '/v1/admin/roster/batch', {
      changes: [{ op: 'upsert', type: 'person', data: { id: 'p\u0000', name: 'Y', shortName: null, group: null, role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' } }],
    });
    expect(batch.status).toBe(400);
    expect((await adminCall(hub, 'POST', '/v1/admin/devices', { id: 'kiosk\u202E' })).status).toBe(400);
    expect((await adminCall(hub, 'PUT', '/v1/admin/people/p-1002', person)).status).toBe(200);
  });

  it("the kiosk's roster puller refuses a page with such ids, nothing applied; the demo roster's ids all pass", async () => {
    const applied: RosterChange[][] = [];
    const person = { id: 'p-1\u202E', name: 'A', shortName: null, group: null, role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' };
    const http = { request: (): Promise<HubResponse> => Promise.resolve({ status: 200, body: { changes: [{ op: 'upsert', type: 'person', data: person }], cursor: 'c:1', more: false }, serverTimeMs: null }) };
    const roster = {
      cursor: () => Promise.resolve(null),
      applyPage: (changes: readonly RosterChange[]) => {
        applied.push([...changes]);
        return Promise.resolve({ applied: changes.length, purgedPersonIds: [] });
      },
    };
    const puller = new RosterPuller({
      http: http as unknown as HubHttp, roster: roster as unknown as RosterStore, deviceId: 'kiosk-1', logger: silentLogger, pageSize: 100,
      onRosterApplied: () => undefined, onServerTime: () => undefined,
    });
    await expect(puller.pull('token', false)).rejects.toBeInstanceOf(SyncError);
    expect(applied).toEqual([]);

    const demo = JSON.parse(await readFile(join(repoRoot, 'fixtures/demo-roster.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
    const ids = Object.values(demo).flatMap((rows) => (Array.isArray(rows) ? rows : [])).flatMap((row) => [row.id, row.personId].filter((v) => typeof v === 'string'));
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(id).toMatch(SAFE_ID);
  });
});
