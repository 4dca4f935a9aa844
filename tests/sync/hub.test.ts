// The reference hub on a real socket (port 0) over a real SQLite file: device authentication with
// hashed tokens, per-event validation, idempotency by id and by (deviceId, seq), size limits,
// clear 400s, and re-anchoring of events recorded with an untrusted clock.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import { registerDevice, silentLogger, tempDir } from './helpers.js';

function event(seq: number, overrides: Record<string, unknown> = {}) {
  return { id: uuidv7(), seq, type: 'access.granted', at: '2026-09-01T07:58:12.345+05:00', wallMs: 1_788_231_492_345, timeTrusted: true,
    bootId: 'boot-a', monoMs: 1000 + seq, door: 'main', direction: 'in', personId: 'p-1', credential: { kind: 'card', ref: 'c-1' }, reason: null, ...overrides };
}

describe('reference hub', () => {
  let app: FastifyInstance;
  let storage: SqliteHubStorage;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let hub: { url: string; adminToken: string };
  let token: string;

  beforeAll(async () => {
    tmp = await tempDir();
    storage = await SqliteHubStorage.open(join(tmp.dir, 'hub.db'));
    app = await buildHub({ storage, logger: silentLogger, adminToken: 'admin-token-for-tests-0123456789' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    hub = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, adminToken: 'admin-token-for-tests-0123456789' };
    token = await registerDevice(hub, 'kiosk-1');
  });
  afterAll(async () => {
    await app?.close();
    await storage?.close();
    await tmp?.cleanup();
  });

  async function push(body: unknown, bearer = token, device = 'kiosk-1') {
    const response = await fetch(`${hub.url}/v1/devices/${device}/events`, {
      method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('stores only an scrypt hash of the device token and refuses wrong tokens and other devices', async () => {
    const device = await storage.device('kiosk-1');
    expect(device?.tokenHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    const raw = Buffer.concat(await Promise.all(['hub.db', 'hub.db-wal'].map((f) => readFile(join(tmp.dir, f)).catch(() => Buffer.alloc(0)))));
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.includes(Buffer.from(token))).toBe(false);
    expect((await push({ events: [event(1)] }, 'x'.repeat(43))).status).toBe(401);
    await registerDevice(hub, 'kiosk-2');
    expect((await push({ events: [event(1)] }, token, 'kiosk-2')).status).toBe(401);
  });

  it('answers a repeat as duplicates and a conflicting id or seq as rejected', async () => {
    // Seqs are contiguous per device from 1 (the seq rule); the first test stored nothing.
    const first = [event(1), event(2)];
    expect((await push({ events: first })).json).toEqual({ accepted: first.map((e) => e.id), duplicates: [], rejected: [], deferred: [], expectedSeq: 3 });
    const sameSeqOtherId = event(2);
    const sameIdOtherSeq = { ...first[0], seq: 3 };
    const again = await push({ events: [first[0], sameSeqOtherId, sameIdOtherSeq, event(4)] });
    expect(again.json.duplicates).toEqual([first[0]?.id]);
    expect((again.json.rejected as Array<{ error: string }>).map((r) => r.error.split(':')[0])).toEqual(['conflict', 'schema']);
    expect((again.json.accepted as string[]).length).toBe(1);
  });

  it('rejects bad events one by one and bad envelopes with a clear 400; limits size and count', async () => {
    const good = event(5);
    const mixed = await push({ events: [good, { ...event(6), door: 42 }, { ...event(7), type: 'DROP TABLE' }] });
    expect(mixed.status).toBe(200);
    expect(mixed.json.accepted).toEqual([good.id]);
    expect((mixed.json.rejected as Array<{ error: string }>)[0]?.error).toMatch(/^schema: door/);
    const garbage = await push('{"events": [');
    expect(garbage).toMatchObject({ status: 400, json: { error: 'invalid_payload' } });
    expect((await push({ events: [] })).json.error).toBe('invalid_payload');
    expect((await push({ events: Array.from({ length: 501 }, (_, i) => event(100 + i)) })).status).toBe(400);
    const huge = await push({ events: [event(30, { data: { blob: 'x'.repeat(1_100_000) } })] });
    expect(huge).toMatchObject({ status: 413, json: { error: 'too_large' } });
  });

  it('re-anchors events recorded with an untrusted clock from a later trusted anchor in the same boot', async () => {
    const untrusted = event(8, { timeTrusted: false, wallMs: 1000, at: '1970-01-01T05:00:01.000+05:00', bootId: 'boot-b', monoMs: 5_000 });
    await push({ events: [untrusted] });
    const anchorWall = Date.UTC(2026, 8, 1, 3, 0, 0);
    await push({ events: [event(9, { bootId: 'boot-b', monoMs: 65_000, wallMs: anchorWall })] });
    const response = await fetch(`${hub.url}/v1/events?after=0&deviceId=kiosk-1&limit=5000`, { headers: { authorization: `Bearer ${hub.adminToken}` } });
    const { events } = (await response.json()) as { events: Array<{ event: { id: string }; trueAt: string | null; timeSource: string }> };
    const reanchored = events.find((e) => e.event.id === untrusted.id);
    expect(reanchored).toMatchObject({ timeSource: 'reanchored', trueAt: new Date(anchorWall - 60_000).toISOString() });
  });
});
