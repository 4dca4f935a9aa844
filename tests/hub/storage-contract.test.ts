// One contract, two storages: every test here runs on SQLite and on a real PostgreSQL (a throwaway
// server for this file, a fresh database per test). What a device and a consumer rely on: events
// stored once by id and by (device, seq), the seq rule, re-anchoring, paging by hub seq, roster
// cursors that only grow, compaction and 410, commands and their acknowledgements, and the same
// guarantees with two storages ("two hub processes") writing at once.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HubStorage } from '../../hub/index.js';
import { rosterEntityId, type HubCommand } from '../../protocol/index.js';
import { backends, credential, event, items, NOW, person, template, type StorageBackend } from './backends.js';

describe.each(backends)('hub storage contract: %s', (_name, makeBackend) => {
  const backend: StorageBackend = makeBackend();
  const opened: HubStorage[] = [];
  const open = async (sameAs?: HubStorage): Promise<HubStorage> => {
    const storage = await backend.open(sameAs);
    opened.push(storage);
    return storage;
  };

  beforeAll(() => backend.start());
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
  });
  afterAll(() => backend.stop());

  it('registers devices once and keeps their token hash', async () => {
    const storage = await open();
    expect(await storage.addDevice('kiosk-1', 'Main door', 'hash-1')).toBe(true);
    expect(await storage.addDevice('kiosk-1', 'Again', 'hash-2')).toBe(false);
    expect(await storage.setDeviceToken('kiosk-1', 'hash-3')).toBe(true);
    expect(await storage.setDeviceToken('nobody', 'hash-3')).toBe(false);
    expect(await storage.device('kiosk-1')).toEqual({ id: 'kiosk-1', name: 'Main door', tokenHash: 'hash-3', disabled: false });
    expect(await storage.device('nobody')).toBeNull();
    await storage.addDevice('kiosk-0', null, 'h');
    expect(await storage.listDevices()).toEqual([{ id: 'kiosk-0', name: null, disabled: false }, { id: 'kiosk-1', name: 'Main door', disabled: false }]);
  });

  it('stores an event once by id: a resent batch comes back as duplicates', async () => {
    const storage = await open();
    const batch = [event(1), event(2), event(3)];
    const first = await storage.ingest('kiosk-1', items(...batch), null, null, NOW);
    expect(first).toMatchObject({ accepted: batch.map((e) => e.id), duplicates: [], rejected: [], expectedSeq: 4 });
    const again = await storage.ingest('kiosk-1', items(...batch), null, null, NOW);
    expect(again).toMatchObject({ accepted: [], duplicates: batch.map((e) => e.id), rejected: [], expectedSeq: 4 });
    const read = await storage.readEvents(0, 100);
    expect(read.events.map((e) => e.event.id)).toEqual(batch.map((e) => e.id));
    expect(read.events.map((e) => e.hubSeq)).toEqual([...read.events.map((e) => e.hubSeq)].sort((a, b) => a - b));
  });

  it('stores one event per (device, seq): another id at a taken seq is a conflict with an alarm; a taken id from another device too', async () => {
    const storage = await open();
    const original = event(1);
    await storage.ingest('kiosk-1', items(original, event(2)), null, null, NOW);
    const forged = event(1);
    const clash = await storage.ingest('kiosk-1', items(forged), null, null, NOW);
    expect(clash.accepted).toEqual([]);
    expect(clash.rejected).toEqual([{ id: forged.id, error: expect.stringMatching(/^conflict: seq 1/) }]);
    const stolenId = await storage.ingest('kiosk-2', items({ ...event(1), id: original.id }), null, null, NOW);
    expect(stolenId.rejected).toEqual([{ id: original.id, error: expect.stringMatching(/^conflict: id/) }]);
    const alarms = await storage.seqAlarms(0, 10);
    expect(alarms.map((a) => [a.deviceId, a.kind, a.seq])).toEqual([['kiosk-1', 'seq_conflict', 1], ['kiosk-2', 'id_conflict', 1]]);
    expect(alarms[0]?.detail).toEqual({ offeredId: forged.id, storedId: original.id });
    expect(await storage.seqAlarms(alarms[0]?.id ?? 0, 10, 'kiosk-2')).toHaveLength(1);
    expect((await storage.readEvents(0, 10)).events.map((e) => e.event.id)).toHaveLength(2);
  });

  it('defers events beyond a gap, takes a declared skip, and lets a refused event keep its seq', async () => {
    const storage = await open();
    await storage.ingest('kiosk-1', items(event(1)), null, null, NOW);
    const ahead = [event(5), event(6)];
    const deferred = await storage.ingest('kiosk-1', items(...ahead), null, null, NOW);
    expect(deferred).toMatchObject({ accepted: [], expectedSeq: 2 });
    expect(deferred.deferred?.map((d) => d.id)).toEqual(ahead.map((e) => e.id));
    // Seqs 2-3 will never come: declared skipped, 4 is refused by validation, 5-6 go through.
    const refusedId = randomUUID();
    const resumed = await storage.ingest('kiosk-1', [{ rejected: { id: refusedId, seq: 4, error: 'schema: bad' } }, ...items(...ahead)], null, { from: 2, to: 3, reason: 'quarantined' }, NOW);
    expect(resumed).toMatchObject({ accepted: ahead.map((e) => e.id), rejected: [{ id: refusedId, error: 'schema: bad' }], expectedSeq: 7 });
    expect((await storage.readEvents(0, 10)).events.map((e) => e.event.seq)).toEqual([1, 5, 6]);
    expect((await storage.seqAlarms(0, 10)).map((a) => [a.kind, a.seq, a.detail.to])).toEqual([['seq_skipped', 2, 3]]);
    // A skipped seq offered later is a conflict, not a fresh event.
    const late = await storage.ingest('kiosk-1', items(event(2)), null, null, NOW);
    expect(late.rejected[0]?.error).toMatch(/^conflict: seq 2 was skipped/);
    // The refused event sent again gets its refusal again, not a conflict.
    const refusedAgain = await storage.ingest('kiosk-1', items({ ...event(4), id: refusedId }), null, null, NOW);
    expect(refusedAgain.rejected).toEqual([{ id: refusedId, error: 'schema: bad' }]);
    // Within one batch, seqs must rise.
    const backwards = await storage.ingest('kiosk-1', items(event(8), event(7)), null, null, NOW);
    expect(backwards.rejected[0]?.error).toMatch(/not above the previous/);
  });

  it('re-anchors untrusted times from a later trusted anchor of the same boot', async () => {
    const storage = await open();
    const untrusted = event(1, { timeTrusted: false, wallMs: 5_000, bootId: 'boot-x', monoMs: 10_000 });
    await storage.ingest('kiosk-1', items(untrusted), null, null, NOW);
    expect((await storage.readEvents(0, 10)).events[0]).toMatchObject({ trueAt: null, timeSource: 'unknown' });
    const anchorWall = Date.UTC(2026, 8, 1, 3, 0, 0);
    await storage.ingest('kiosk-1', [], { bootId: 'boot-x', monoMs: 20_000, wallMs: anchorWall }, null, NOW);
    const [read] = (await storage.readEvents(0, 10)).events;
    expect(read).toMatchObject({ timeSource: 'reanchored', trueAt: new Date(anchorWall - 10_000).toISOString(), receivedAt: new Date(NOW).toISOString() });
    // A later untrusted event of that boot is anchored as it arrives.
    await storage.ingest('kiosk-1', items(event(2, { timeTrusted: false, wallMs: 6_000, bootId: 'boot-x', monoMs: 21_000 })), null, null, NOW);
    expect((await storage.readEvents(1, 10, 'kiosk-1')).events[0]?.trueAt).toBe(new Date(anchorWall + 1_000).toISOString());
  });

  it('pages events by hub seq, per device or all, and says when there is more', async () => {
    const storage = await open();
    await storage.ingest('kiosk-a', items(event(1), event(2), event(3)), null, null, NOW);
    await storage.ingest('kiosk-b', items(event(1), event(2)), null, null, NOW);
    const first = await storage.readEvents(0, 2);
    expect(first.events).toHaveLength(2);
    expect(first.more).toBe(true);
    const rest = await storage.readEvents(first.lastHubSeq ?? 0, 10);
    expect(rest.more).toBe(false);
    expect([...first.events, ...rest.events].map((e) => `${e.deviceId}:${e.event.seq}`)).toEqual(['kiosk-a:1', 'kiosk-a:2', 'kiosk-a:3', 'kiosk-b:1', 'kiosk-b:2']);
    const onlyB = await storage.readEvents(0, 10, 'kiosk-b');
    expect(onlyB.events.map((e) => e.event.seq)).toEqual([1, 2]);
    expect(await storage.readEvents(rest.lastHubSeq ?? 0, 10)).toEqual({ events: [], skipped: [], lastHubSeq: null, more: false });
  });

  it('roster cursors only grow: an update moves the entity past the cursor, a pull returns each entity once', async () => {
    const storage = await open();
    const c1 = await storage.applyRoster([person('p-1'), person('p-2'), credential('c-1', 'p-1')]);
    expect(c1).toBeGreaterThan(0);
    const all = await storage.rosterPage(null, 100, false);
    expect(all).toMatchObject({ cursor: c1, more: false });
    expect(all?.changes.map(rosterEntityId)).toEqual(['p-1', 'p-2', 'c-1']);
    const c2 = await storage.applyRoster([person('p-1', { name: 'Renamed' })]);
    expect(c2).toBeGreaterThan(c1);
    const since = await storage.rosterPage(c1, 100, false);
    expect(since?.changes).toEqual([person('p-1', { name: 'Renamed' })]);
    expect(since?.cursor).toBe(c2);
    expect((await storage.rosterPage(null, 100, false))?.changes).toHaveLength(3);
    const paged = await storage.rosterPage(0, 2, false);
    expect(paged).toMatchObject({ more: true });
    expect(paged?.changes).toHaveLength(2);
    expect(await storage.rosterEntity('person', 'p-1')).toEqual(person('p-1', { name: 'Renamed' }));
    expect(await storage.rosterEntity('person', 'nobody')).toBeNull();
    expect(await storage.listGroups()).toEqual([{ group: '5B', people: 2 }]);
  });

  it('erases a deleted person with its credentials and templates; withdrawn consent erases templates with tombstones', async () => {
    const storage = await open();
    await storage.applyRoster([person('p-1'), credential('c-1', 'p-1'), template('t-1', 'p-1'), person('p-2'), template('t-2', 'p-2')]);
    const cursor = (await storage.rosterPage(null, 100, false))?.cursor ?? 0;
    await storage.applyRoster([{ op: 'delete', type: 'person', id: 'p-1' }, person('p-2', { biometricConsent: false })]);
    expect(await storage.rosterEntity('credential', 'c-1')).toBeNull();
    expect(await storage.rosterEntity('template', 't-1')).toBeNull();
    expect(await storage.rosterEntity('template', 't-2')).toEqual({ op: 'delete', type: 'template', id: 't-2' });
    const changes = (await storage.rosterPage(cursor, 100, false))?.changes ?? [];
    expect(changes).toEqual(expect.arrayContaining([{ op: 'delete', type: 'person', id: 'p-1' }, { op: 'delete', type: 'template', id: 't-2' }]));
  });

  it('compaction drops tombstones: an older cursor gets null (410), a full pull and a newer cursor still work', async () => {
    const storage = await open();
    const before = await storage.applyRoster([person('p-1'), person('p-2')]);
    await storage.applyRoster([{ op: 'delete', type: 'person', id: 'p-2' }]);
    const horizon = await storage.compactRoster();
    expect(horizon).toBeGreaterThan(before);
    expect(await storage.rosterPage(before, 100, false)).toBeNull();
    const full = await storage.rosterPage(null, 100, true);
    expect(full?.changes).toEqual([person('p-1')]);
    expect(await storage.rosterPage(horizon, 100, false)).toMatchObject({ changes: [], cursor: horizon });
    expect(await storage.compactRoster()).toBe(0); // nothing left to drop
  });

  it('hands out pending commands until acknowledged; the first ack wins; expired ones are not handed out', async () => {
    const storage = await open();
    const command = (expiresAt: string | null): HubCommand => ({ id: randomUUID(), kind: 'door.open', args: { door: 'main' }, createdAt: new Date(NOW - 1000).toISOString(), expiresAt });
    const live = command(null);
    const expired = command(new Date(NOW - 1).toISOString());
    await storage.addCommand('kiosk-1', live);
    await storage.addCommand('kiosk-1', expired);
    expect(await storage.pendingCommands('kiosk-1', NOW)).toEqual([live]);
    expect(await storage.pendingCommands('kiosk-2', NOW)).toEqual([]);
    expect(await storage.ackCommand('kiosk-2', live.id, { ok: true }, NOW)).toBe(false);
    expect(await storage.ackCommand('kiosk-1', live.id, { ok: true, result: 'opened' }, NOW)).toBe(true);
    expect(await storage.ackCommand('kiosk-1', live.id, { ok: false, error: 'late' }, NOW)).toBe(true);
    expect(await storage.command('kiosk-1', live.id)).toEqual({ ...live, deviceId: 'kiosk-1', state: 'acked', ack: { ok: true, result: 'opened' } });
    expect(await storage.pendingCommands('kiosk-1', NOW)).toEqual([]);
    expect(await storage.command('kiosk-2', live.id)).toBeNull();
  });

  it('two handles pushing the same device at once: every event once, seqs contiguous, hub seqs in seq order', async () => {
    const first = await open();
    const second = await open(first);
    const events = Array.from({ length: 60 }, (_, i) => event(i + 1));
    // Overlapping batches from both "processes", as a kiosk retrying through two hub instances.
    const pushes = [];
    for (let i = 0; i < 60; i += 5) {
      const batch = items(...events.slice(i, i + 10));
      pushes.push(first.ingest('kiosk-1', batch, null, null, NOW), second.ingest('kiosk-1', batch, null, null, NOW));
    }
    await Promise.all(pushes);
    // Whatever was deferred by ordering races is sent again, in order, as a kiosk would.
    for (let i = 0; i < 60; i += 10) await first.ingest('kiosk-1', items(...events.slice(i, i + 10)), null, null, NOW);
    const stored = (await second.readEvents(0, 1000)).events;
    expect(stored.map((e) => e.event.seq)).toEqual(events.map((e) => e.seq));
    expect(stored.map((e) => e.event.id)).toEqual(events.map((e) => e.id));
    expect(await first.seqAlarms(0, 10)).toEqual([]);
  });

  it('a consumer paging with after= while two handles write misses no event', async () => {
    const first = await open();
    const second = await open(first);
    const devices = Array.from({ length: 8 }, (_, i) => `kiosk-${i}`);
    let writing = true;
    const writers = devices.map(async (device, i) => {
      const writer = i % 2 === 0 ? first : second;
      for (let seq = 1; seq <= 40; seq += 4) await writer.ingest(device, items(event(seq), event(seq + 1), event(seq + 2), event(seq + 3)), null, null, NOW);
    });
    const seen: string[] = [];
    const pager = (async () => {
      let after = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await first.readEvents(after, 7);
        seen.push(...page.events.map((e) => e.event.id));
        after = page.lastHubSeq ?? after;
        if (!page.more && !stillWriting) return;
      }
    })();
    await Promise.all(writers);
    writing = false;
    await pager;
    const stored = (await second.readEvents(0, 10_000)).events.map((e) => e.event.id);
    expect(stored).toHaveLength(devices.length * 40);
    expect(seen).toEqual(stored);
  });

  it('a device pulling roster changes by cursor while two handles write misses no change', async () => {
    const first = await open();
    const second = await open(first);
    let writing = true;
    const writers = [first, second].map(async (writer, w) => {
      for (let i = 0; i < 30; i++) await writer.applyRoster([person(`p-${w}-${i}`), person(`p-${w}-${i % 5}`, { name: `v${i}` })]);
    });
    const seen = new Map<string, string>();
    const pull = (async () => {
      let cursor = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await first.rosterPage(cursor, 5, false);
        for (const change of page?.changes ?? []) if (change.op === 'upsert' && change.type === 'person') seen.set(change.data.id, change.data.name);
        cursor = page?.cursor ?? cursor;
        if (!page?.more && !stillWriting) return;
      }
    })();
    await Promise.all(writers);
    writing = false;
    await pull;
    const state = new Map<string, string>();
    for (const change of (await second.rosterPage(null, 1000, true))?.changes ?? []) if (change.op === 'upsert' && change.type === 'person') state.set(change.data.id, change.data.name);
    expect(state.size).toBe(60);
    expect(seen).toEqual(state);
  });
});

describe('SQLite hub storage: one connection', () => {
  it('a consumer read issued while a push is being stored waits for its commit (inside the open transaction it would see rows a rollback could take back)', async () => {
    const backend = backends[0]?.[1]();
    if (!backend) throw new Error('no sqlite backend');
    await backend.start();
    const storage = await backend.open();
    try {
      await storage.ingest('kiosk-1', items(event(1)), null, null, NOW);
      // Both start in the same tick: the read must not run inside the push's open transaction.
      const [, read] = await Promise.all([storage.ingest('kiosk-1', items(event(2), event(3)), null, null, NOW), storage.readEvents(0, 10)]);
      expect(read.events.map((e) => e.event.seq)).toEqual([1, 2, 3]);
      const pushing = storage.ingest('kiosk-1', [], null, { from: 4, to: 9, reason: 'lost' }, NOW);
      const alarms = await storage.seqAlarms(0, 10);
      await pushing;
      expect(alarms.map((a) => a.kind)).toEqual(['seq_skipped']);
    } finally {
      await storage.close();
      await backend.stop();
    }
  });
});
