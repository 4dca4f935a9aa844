// The hub's retention policy on both storages: events received before the cutoff month are removed
// (SQLite in bounded batches, PostgreSQL by dropping whole month partitions), the rest stay and read
// in order, a replay of a removed event is not stored again, each device's seq rule goes on from
// where it was, and on SQLite the removed bytes are gone from the database file and its WAL.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventRetention, retentionCutoff, SqliteHubStorage, type HubStorage } from '../../hub/index.js';
import { silentLogger } from '../sync/helpers.js';
import { backends, event, items, NOW, type StorageBackend } from './backends.js';

const MARCH = Date.UTC(2026, 2, 10);
const MAY = Date.UTC(2026, 4, 20);

describe('retentionCutoff', () => {
  it('is the start of the month `months` whole months back, across a year', () => {
    expect(retentionCutoff(Date.UTC(2026, 0, 15, 12), 1)).toBe(Date.UTC(2025, 11, 1));
    expect(retentionCutoff(NOW, 4)).toBe(Date.UTC(2026, 4, 1));
    expect(retentionCutoff(Date.UTC(2026, 11, 31, 23, 59), 12)).toBe(Date.UTC(2025, 11, 1));
  });
});

describe.each(backends)('event retention: %s', (name, makeBackend) => {
  const backend: StorageBackend = makeBackend();
  const opened: HubStorage[] = [];
  beforeAll(() => backend.start());
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
  });
  afterAll(() => backend.stop());

  it('removes the months before the cutoff; replays stay duplicates and the seq rule goes on', async () => {
    const storage = await backend.open();
    opened.push(storage);
    const old = [1, 2, 3, 4, 5].map((seq) => event(seq));
    const kept = [6, 7, 8].map((seq) => event(seq));
    const otherOld = [1, 2, 3].map((seq) => event(seq, { personId: 'p-2' }));
    await storage.ingest('kiosk-1', items(...old), null, null, MARCH);
    await storage.ingest('kiosk-2', items(...otherOld), null, null, MARCH);
    await storage.ingest('kiosk-1', items(...kept), null, null, MAY);

    const retention = new EventRetention(storage, { months: 4, batchSize: 2, pauseMs: 0, everyMs: 60_000 }, silentLogger, () => NOW);
    const run = await retention.runOnce();
    expect(run).toMatchObject({ cutoffMs: Date.UTC(2026, 4, 1), deleted: 8 });
    expect(run?.droppedPartitions).toEqual(name === 'postgres' ? ['events_2026_03'] : []);
    expect((await retention.runOnce())?.deleted).toBe(0);

    const read = await storage.readEvents(0, 100);
    expect(read.events.map((e) => [e.deviceId, e.event.seq])).toEqual(kept.map((e) => ['kiosk-1', e.seq]));

    const replay = await storage.ingest('kiosk-1', items(...old), null, null, NOW);
    expect(replay).toMatchObject({ accepted: [], duplicates: old.map((e) => e.id), expectedSeq: 9 });
    const otherReplay = await storage.ingest('kiosk-2', items(...otherOld), null, null, NOW);
    expect(otherReplay).toMatchObject({ accepted: [], duplicates: otherOld.map((e) => e.id), expectedSeq: 4 });
    // Another id at a removed seq is never stored (SQLite acknowledges it as had; PostgreSQL still
    // holds the seq's id and calls it a conflict): the seq stays taken either way.
    const forged = await storage.ingest('kiosk-2', items({ ...event(2), id: randomUUID() }), null, null, NOW);
    expect(forged.accepted).toEqual([]);
    const next = event(4, { personId: 'p-2' });
    expect(await storage.ingest('kiosk-2', items(next), null, null, NOW)).toMatchObject({ accepted: [next.id], expectedSeq: 5 });
    expect((await storage.readEvents(0, 100)).events.map((e) => e.event.id)).toEqual([...kept.map((e) => e.id), next.id]);
  });

  it('keeps everything with months = 0 and removes nothing from the current months', async () => {
    const storage = await backend.open();
    opened.push(storage);
    await storage.ingest('kiosk-1', items(event(1)), null, null, MARCH);
    expect(await new EventRetention(storage, { months: 0, batchSize: 10, pauseMs: 0, everyMs: 60_000 }, silentLogger, () => NOW).runOnce()).toBeNull();
    expect(await new EventRetention(storage, { months: 6, batchSize: 10, pauseMs: 0, everyMs: 60_000 }, silentLogger, () => NOW).runOnce()).toMatchObject({ deleted: 0 });
    expect((await storage.readEvents(0, 10)).events).toHaveLength(1);
    expect(() => new EventRetention(storage, { months: -1, batchSize: 10, pauseMs: 0, everyMs: 60_000 }, silentLogger)).toThrow(/whole number/);
  });
});

describe('event retention on SQLite: the removed bytes', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-retention-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('leaves no trace of a removed event in the database file or its WAL', async () => {
    const file = join(dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    const marker = `door-${randomUUID()}`;
    const keptMarker = `door-${randomUUID()}`;
    await storage.ingest('kiosk-1', items(...[1, 2, 3].map((seq) => event(seq, { door: marker }))), null, null, MARCH);
    await storage.ingest('kiosk-1', items(event(4, { door: keptMarker })), null, null, MAY);
    const before = await readFile(`${file}-wal`).catch(() => Buffer.alloc(0));
    expect(Buffer.concat([await readFile(file), before]).includes(marker)).toBe(true);
    await new EventRetention(storage, { months: 4, batchSize: 2, pauseMs: 0, everyMs: 60_000 }, silentLogger, () => NOW).runOnce();
    const wal = await readFile(`${file}-wal`).catch(() => Buffer.alloc(0));
    const bytes = Buffer.concat([await readFile(file), wal]);
    expect(bytes.includes(marker)).toBe(false);
    expect(bytes.includes(keptMarker)).toBe(true);
    await storage.close();
  });
});
