import sinon from 'sinon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSchemaVersion, SCHEMA_VERSION, StoreSchemaError } from '../../sync/store/index.js';
import sqlite3 from 'sqlite3';
import { type TempStore, grant, tempStore } from './helpers.js';

let t: TempStore;
beforeEach(async () => { t = await tempStore(); });
afterEach(async () => { await t.cleanup(); });

async function setUserVersion(file: string, version: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.exec(`PRAGMA user_version = ${version}`, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

describe('migrations', () => {
  it('creates the schema on an empty file and reopens idempotently', async () => {
    expect(await readSchemaVersion(t.path)).toBe(0);
    const store = await t.open();
    expect(store.events.lastSeq()).toBe(0);
    await store.close();
    expect(await readSchemaVersion(t.path)).toBe(SCHEMA_VERSION);
    const again = await t.open();
    expect((await again.checkIntegrity()).ok).toBe(true);
    await again.close();
    expect(await readSchemaVersion(t.path)).toBe(SCHEMA_VERSION);
  });

  it('refuses a database written by a newer version', async () => {
    const store = await t.open();
    await store.close();
    await setUserVersion(t.path, SCHEMA_VERSION + 1);
    await expect(t.open()).rejects.toBeInstanceOf(StoreSchemaError);
    await expect(t.open()).rejects.toThrow(/newer than this esik knows/);
  });
});

describe('event log', () => {
  it('stamps events with identity, offset time and a gapless seq that survives reopen', async () => {
    const store = await t.open();
    const first = await store.events.append(grant('p-1'));
    expect(first).toMatchObject({ seq: 1, deviceId: 'dev-1', bootId: 'boot-1', timeTrusted: true, at: '2026-09-01T07:58:12.345+05:00' });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    await store.events.append(grant('p-2'));
    await store.close();
    const reopened = await t.open({ bootId: 'boot-2' });
    expect(reopened.events.lastSeq()).toBe(2);
    const third = await reopened.events.append(grant('p-3'));
    expect(third.seq).toBe(3);
    expect((await reopened.events.since(0, 10)).map((e) => [e.seq, e.personId, e.bootId])).toEqual([
      [1, 'p-1', 'boot-1'], [2, 'p-2', 'boot-1'], [3, 'p-3', 'boot-2'],
    ]);
    await reopened.close();
  });

  it('group-commits 500 concurrent appends: all resolve, seq 1..500, fewer transactions than events', async () => {
    const store = await t.open();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => store.events.append(grant(`p-${i}`))));
    expect(results.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(new Set(results.map((e) => e.id)).size).toBe(500);
    expect(store.events.commits).toBeLessThan(500);
    expect(store.events.commits).toBeGreaterThanOrEqual(1);
    const stored = await store.events.since(0, 1000);
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    await store.close();
  });

  it('round-trips credential and data, and filters by wall time and type', async () => {
    const store = await t.open();
    t.clock.wall = 1_000;
    await store.events.append({ ...grant('p-1'), credential: { kind: 'face', score: 0.91 }, data: { soft: true } });
    t.clock.wall = 2_000;
    await store.events.append({ type: 'door.forced', door: 'main', direction: null, personId: null, credential: null, reason: 'forced' });
    const all = await store.events.between(0, 3_000);
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ credential: { kind: 'face', score: 0.91 }, data: { soft: true } });
    expect(await store.events.between(0, 3_000, ['door.forced'])).toHaveLength(1);
    expect(await store.events.between(1_500, 3_000, ['access.granted'])).toHaveLength(0);
    await store.close();
  });

  it('rejects a draft that cannot be serialised without disturbing its neighbours', async () => {
    const store = await t.open();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const results = await Promise.allSettled([
      store.events.append(grant('p-1')),
      store.events.append({ ...grant('p-2'), data: circular }),
      store.events.append(grant('p-3')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.events.since(0, 10)).map((e) => e.seq)).toEqual([1, 2]);
    await store.close();
  });

  it('appends and closes under sinon fake timers (no timer on the commit path)', async () => {
    const store = await t.open();
    const fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'Date'] });
    try {
      const appended = await Promise.all([store.events.append(grant('p-1')), store.events.append(grant('p-2'))]);
      expect(appended.map((e) => e.seq)).toEqual([1, 2]);
      const closing = store.events.append(grant('p-3'));
      await store.close();
      expect((await closing).seq).toBe(3);
    } finally {
      fake.restore();
    }
  });
});
