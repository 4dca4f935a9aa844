import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStore, grant, tempStore } from './helpers.js';

let t: TempStore;
beforeEach(async () => { t = await tempStore(); });
afterEach(async () => { await t.cleanup(); });

describe('outbox', () => {
  it('batches oldest pending first by limit and by bytes, always at least one event', async () => {
    const store = await t.open();
    for (let i = 0; i < 10; i++) await store.events.append({ ...grant(`p-${i}`), data: { pad: 'x'.repeat(200) } });
    expect((await store.outbox.nextBatch(3, 1 << 20)).map((e) => e.seq)).toEqual([1, 2, 3]);
    const one = JSON.stringify((await store.events.since(0, 1))[0]).length;
    const byBytes = await store.outbox.nextBatch(100, one * 4 + 10);
    expect(byBytes.length).toBe(4);
    expect((await store.outbox.nextBatch(100, 10)).map((e) => e.seq)).toEqual([1]);
    expect(await store.outbox.nextBatch(0, 1000)).toEqual([]);
    await store.close();
  });

  it('marks synced, quarantines rejected events and never offers them again, counts backlog', async () => {
    const store = await t.open();
    const events = [];
    for (let i = 0; i < 6; i++) events.push(await store.events.append(grant(`p-${i}`)));
    expect(await store.outbox.backlog()).toEqual({ pending: 6, quarantined: 0, oldestPendingSeq: 1 });
    await store.outbox.markSynced([events[0].id, events[1].id]);
    await store.outbox.quarantine([{ id: events[2].id, error: 'schema: door missing' }]);
    expect(await store.outbox.backlog()).toEqual({ pending: 3, quarantined: 1, oldestPendingSeq: 4 });
    expect((await store.outbox.nextBatch(10, 1 << 20)).map((e) => e.seq)).toEqual([4, 5, 6]);
    const quarantined = await store.outbox.quarantined(10);
    expect(quarantined.map((q) => [q.event.seq, q.error])).toEqual([[3, 'schema: door missing']]);
    // A synced event stays synced even if a late rejection names it.
    await store.outbox.quarantine([{ id: events[0].id, error: 'late' }]);
    expect((await store.outbox.backlog()).quarantined).toBe(1);
    await store.close();
    const reopened = await t.open();
    expect(await reopened.outbox.backlog()).toEqual({ pending: 3, quarantined: 1, oldestPendingSeq: 4 });
    await reopened.close();
  });

  it('retention prunes only synced events, and seq never repeats after pruning everything', async () => {
    const store = await t.open();
    const events = [];
    for (let i = 0; i < 5; i++) {
      t.clock.wall = 1_000 + i;
      events.push(await store.events.append(grant(`p-${i}`)));
    }
    await store.outbox.markSynced(events.slice(0, 3).map((e) => e.id));
    await store.outbox.quarantine([{ id: events[3].id, error: 'bad' }]);
    expect(await store.pruneSynced(1_002)).toBe(2);
    expect(await store.pruneSynced(10_000)).toBe(1);
    expect((await store.events.since(0, 10)).map((e) => [e.seq])).toEqual([[4], [5]]);
    expect(await store.outbox.backlog()).toEqual({ pending: 1, quarantined: 1, oldestPendingSeq: 5 });
    await store.outbox.markSynced([events[3].id, events[4].id]);
    expect(await store.pruneSynced(10_000)).toBe(2);
    expect(await store.events.since(0, 10)).toEqual([]);
    await store.close();
    const reopened = await t.open();
    expect(reopened.events.lastSeq()).toBe(5);
    expect((await reopened.events.append(grant('p-9'))).seq).toBe(6);
    await reopened.close();
  });

  it('prunes a large history in chunks, letting an append commit in between', async () => {
    const store = await t.open();
    const events = await Promise.all(Array.from({ length: 4_500 }, (_, i) => store.events.append(grant(`p-${i}`))));
    await store.outbox.markSynced(events.map((e) => e.id));
    const before = store.transactionCount();
    const [pruned, appended] = await Promise.all([store.pruneSynced(Number.MAX_SAFE_INTEGER), store.events.append(grant('late'))]);
    expect(pruned).toBe(4_500);
    expect(appended.seq).toBe(4_501);
    expect(store.transactionCount() - before).toBeGreaterThanOrEqual(4); // 3 prune chunks + the append
    expect((await store.events.since(0, 10)).map((e) => e.seq)).toEqual([4_501]);
    await store.close();
  });
});
