// SnapshotCache against an in-memory feed that counts the snapshots it is asked for: later hellos
// are answered from memory with the live updates folded in (what the feed itself would answer),
// clients asking together share one build, updates that arrive during a build are not lost, a new
// school day or an old snapshot asks the feed again, and a failing feed is asked at most once per
// interval. Clocks are injected; the budget's wait is a real (short) timer.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardArrival, BoardCounts, BoardFeed, BoardFeedEvents, BoardSnapshot } from '../../display/index.js';
import { SnapshotCache } from '../../display/snapshot-cache.js';

const arrival = (seq: number, date = '2026-11-23', group = '5Б'): BoardArrival => ({ seq, at: `${date}T08:0${seq % 10}:00+05:00`, direction: 'in', displayName: `P ${seq}`, group, role: 'student', late: false, door: 'main' });

/** A feed over a list of arrivals, answering and emitting as StoreBoardFeed does (counts: one per arrival). */
class CountingFeed extends EventEmitter<BoardFeedEvents> implements BoardFeed {
  date = '2026-11-23';
  arrivals: BoardArrival[] = [];
  asked = 0;
  failing = false;
  /** While set, snapshots wait for it (a slow store). */
  gate: Promise<void> | null = null;

  async snapshot(afterSeq = 0): Promise<BoardSnapshot> {
    this.asked += 1;
    if (this.gate !== null) await this.gate;
    if (this.failing) throw new Error('database is locked');
    const today = this.arrivals.filter((a) => a.at.startsWith(this.date));
    return { date: this.date, arrivals: today.filter((a) => a.seq > afterSeq).slice(-3), groups: this.groups(today), lastSeq: Math.max(afterSeq, ...today.map((a) => a.seq), 0) };
  }

  /** Commits and emits, as the store feed does: the arrival, then its group's counts. */
  commit(a: BoardArrival): void {
    this.arrivals.push(a);
    this.emit('arrival', a);
    // Like the store feed's: counts carry the newest seq applied, which an out-of-order arrival is not.
    const counts: BoardCounts = { seq: Math.max(...this.arrivals.map((x) => x.seq)), groups: this.groups(this.arrivals.filter((x) => x.at.startsWith(this.date))).filter((g) => g.group === a.group) };
    this.emit('counts', counts);
  }

  private groups(today: BoardArrival[]): BoardSnapshot['groups'] {
    const byGroup = new Map<string, number>();
    for (const a of today) byGroup.set(a.group ?? '', (byGroup.get(a.group ?? '') ?? 0) + 1);
    return [...byGroup.keys()].sort().map((group) => ({ group, expected: 5, present: byGroup.get(group) ?? 0, late: 0 }));
  }
}

const clock = { wall: Date.parse('2026-11-23T05:00:00Z'), mono: 0 };
const caches: SnapshotCache[] = [];
afterEach(() => {
  for (const cache of caches.splice(0)) cache.stop();
  clock.wall = Date.parse('2026-11-23T05:00:00Z');
  clock.mono = 0;
});

function cacheOver(feed: CountingFeed, minBuildIntervalMs = 50): SnapshotCache {
  const cache = new SnapshotCache({ feed, maxArrivals: 3, refreshMs: 10_000, minBuildIntervalMs, utcOffsetMinutes: 300, wallMs: () => clock.wall, monoMs: () => clock.mono });
  cache.start();
  caches.push(cache);
  return cache;
}

describe('SnapshotCache', () => {
  it('answers later hellos from memory, live updates folded in, as the feed would', async () => {
    const feed = new CountingFeed();
    feed.commit(arrival(1));
    const cache = cacheOver(feed);
    expect(await cache.snapshot()).toEqual(await feed.snapshot());
    feed.commit(arrival(2, '2026-11-23', '6А'));
    feed.commit(arrival(4));
    feed.commit(arrival(3)); // reported out of order
    feed.emit('arrival', arrival(4)); // and twice
    feed.emit('counts', { seq: 1, groups: [{ group: '5Б', expected: 5, present: 1, late: 0 }] }); // older counts change nothing
    feed.emit('arrival', arrival(5, '2026-11-22')); // an earlier day's (the feed never emits one; ignored if it did)
    feed.arrivals.sort((a, b) => a.seq - b.seq);
    feed.asked = 0;
    for (const since of [0, 2, 9]) expect(await cache.snapshot(since)).toEqual(await feed.snapshot(since));
    expect(feed.asked).toBe(3); // the comparisons only: the cache asked nothing more
    expect(cache.buildCount).toBe(1);
  });

  it('clients asking together share one build; updates during it are folded in', async () => {
    const feed = new CountingFeed();
    const cache = cacheOver(feed);
    let open = (): void => undefined;
    feed.gate = new Promise((resolve) => (open = resolve));
    const answers = Promise.all(Array.from({ length: 20 }, () => cache.snapshot()));
    await new Promise((resolve) => setTimeout(resolve, 5));
    feed.gate = null;
    feed.commit(arrival(1)); // committed after the read began (the read below does not see it)
    const read = feed.arrivals.splice(0);
    open();
    const all = await answers;
    feed.arrivals = read;
    expect(cache.buildCount).toBe(1);
    for (const answer of all) expect(answer.arrivals.map((a) => a.seq)).toEqual([1]);
    expect(all[0]?.groups).toEqual([{ group: '5Б', expected: 5, present: 1, late: 0 }]);
  });

  it('asks the feed again on a new school day, after a live arrival of a later day, and when old', async () => {
    const feed = new CountingFeed();
    const cache = cacheOver(feed, 0);
    await cache.snapshot();
    clock.wall += 19 * 3600_000; // 00:00 the next day in school time
    feed.date = '2026-11-24';
    expect((await cache.snapshot()).date).toBe('2026-11-24');
    expect(cache.buildCount).toBe(2);
    feed.date = '2026-11-25';
    feed.commit(arrival(7, '2026-11-25')); // the kiosk's clock moved ahead of this thread's
    expect((await cache.snapshot()).arrivals.map((a) => a.seq)).toEqual([7]);
    expect(cache.buildCount).toBe(3);
    await cache.snapshot();
    clock.mono += 10_001;
    await cache.snapshot();
    expect(cache.buildCount).toBe(4);
  });

  it('a failing feed fails the askers and is asked again no sooner than the interval', async () => {
    const feed = new CountingFeed();
    const cache = cacheOver(feed, 200);
    feed.failing = true;
    await expect(cache.snapshot()).rejects.toThrow('database is locked');
    feed.failing = false;
    const retried = cache.snapshot();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(feed.asked).toBe(1); // still waiting for the budget
    expect((await retried).date).toBe('2026-11-23');
    expect(feed.asked).toBe(2);
  });
});
