// Today's board as the board server holds it in memory: one snapshot built by the feed (a read of
// today's events from SQLite and a fold, on the kiosk's own thread), kept current by folding in
// every live arrival and count that follows it, exactly as a page connected all along keeps its own
// state. Every client's hello is answered from here, whatever `sinceSeq` it sends.
//
// Why: each hello used to cost the kiosk one snapshot build on the door's thread. Sixty screens
// (or one script playing sixty) saying hello every 550 ms, under the per-client limit, built 2,156
// snapshots of ~31 KB and took the door's decision p90 from 12 to 116 ms. Now the store is asked
// only when there is nothing to fold into (the first hello, a failed build, a new school day) or the
// held snapshot is older than `refreshMs` (roster changes: expected counts, an erased person), and
// never more than once per `minBuildIntervalMs`, however many clients ask: the global budget.
// Clients that ask meanwhile share the one build in flight.
import type { BoardArrival, BoardCounts, BoardFeed, BoardGroupCount, BoardSnapshot } from './feed.js';

export interface SnapshotCacheOptions {
  feed: BoardFeed;
  /** Newest arrivals held (the feed's snapshots hold as many: `limits.snapshotArrivals`). */
  maxArrivals: number;
  /** A built snapshot serves this long with live updates folded in; then the feed is asked again. */
  refreshMs: number;
  /** The feed is asked at most once per this, whoever asks and however often. */
  minBuildIntervalMs: number;
  /** The school's offset from UTC: a held snapshot of another school day is not served. */
  utcOffsetMinutes: number;
  /** Wall clock (epoch ms), for the school day only. */
  wallMs?: () => number;
  /** Monotonic clock (ms), for ages and the build budget. */
  monoMs?: () => number;
}

/** The school-local date ("2026-11-23") of an arrival's ISO time, as the page reads it. */
const dateOf = (arrival: BoardArrival): string => arrival.at.slice(0, 10);

/** A snapshot with the live updates since folded in; answers any `sinceSeq` from memory. */
class FoldedDay {
  /** True once a live arrival of a later day arrived: this day is over, the feed must be asked. */
  moved = false;
  private lastSeq: number;
  private readonly arrivals: BoardArrival[];
  private readonly groups = new Map<string, { seq: number; count: BoardGroupCount }>();

  constructor(
    private readonly base: BoardSnapshot,
    private readonly maxArrivals: number,
  ) {
    this.lastSeq = base.lastSeq;
    this.arrivals = [...base.arrivals].sort((a, b) => a.seq - b.seq);
    for (const count of base.groups) this.groups.set(count.group, { seq: base.lastSeq, count });
  }

  get date(): string {
    return this.base.date;
  }

  arrival(arrival: BoardArrival): void {
    const date = dateOf(arrival);
    if (date > this.date) this.moved = true;
    if (date !== this.date || this.moved) return;
    const newest = this.arrivals.at(-1);
    if (newest === undefined || arrival.seq > newest.seq) this.arrivals.push(arrival);
    else {
      // Commits may be reported slightly out of order, and never twice.
      if (this.arrivals.some((a) => a.seq === arrival.seq)) return;
      const at = this.arrivals.findIndex((a) => a.seq > arrival.seq);
      this.arrivals.splice(at, 0, arrival);
    }
    if (this.arrivals.length > this.maxArrivals) this.arrivals.splice(0, this.arrivals.length - this.maxArrivals);
    this.lastSeq = Math.max(this.lastSeq, arrival.seq);
  }

  /** Counts are cumulative: a group's newer counts replace older ones. */
  counts(counts: BoardCounts): void {
    if (this.moved) return;
    for (const count of counts.groups) {
      const known = this.groups.get(count.group);
      if (known === undefined || known.seq <= counts.seq) this.groups.set(count.group, { seq: counts.seq, count });
    }
    this.lastSeq = Math.max(this.lastSeq, counts.seq);
  }

  /** What the feed would answer a client that has seen up to `sinceSeq`. */
  since(sinceSeq: number): BoardSnapshot {
    return {
      date: this.date,
      arrivals: this.arrivals.filter((a) => a.seq > sinceSeq),
      groups: [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, known]) => known.count),
      lastSeq: Math.max(sinceSeq, this.lastSeq),
    };
  }
}

type Update = { arrival: BoardArrival } | { counts: BoardCounts };

interface Waiter {
  resolve: (day: FoldedDay) => void;
  reject: (error: Error) => void;
}

export class SnapshotCache {
  private day: FoldedDay | null = null;
  private builtAtMono = Number.NEGATIVE_INFINITY;
  /** The school date by this thread's clock when the held snapshot was built: midnight asks again. */
  private builtOnDate = '';
  private lastBuildMono = Number.NEGATIVE_INFINITY;
  /** Live updates that arrive while a build is in flight, folded into it when it lands. */
  private inFlight: Update[] | null = null;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private builds = 0;
  private stopped = false;
  private readonly wallMs: () => number;
  private readonly monoMs: () => number;
  private readonly onArrival = (arrival: BoardArrival): void => this.update({ arrival });
  private readonly onCounts = (counts: BoardCounts): void => this.update({ counts });

  constructor(private readonly options: SnapshotCacheOptions) {
    this.wallMs = options.wallMs ?? Date.now;
    this.monoMs = options.monoMs ?? (() => performance.now());
  }

  /** Follows the feed's live updates; from now on snapshots can be answered. */
  start(): void {
    this.options.feed.on('arrival', this.onArrival);
    this.options.feed.on('counts', this.onCounts);
  }

  stop(): void {
    this.stopped = true;
    this.options.feed.off('arrival', this.onArrival);
    this.options.feed.off('counts', this.onCounts);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.settle({ error: new Error('board server closed') });
  }

  /** Snapshots asked of the feed so far. */
  get buildCount(): number {
    return this.builds;
  }

  /** Today's snapshot for a client that has seen up to `sinceSeq`, from memory when it can be. */
  async snapshot(sinceSeq = 0): Promise<BoardSnapshot> {
    const day = this.day !== null && this.isCurrent(this.day) ? this.day : await this.nextBuild();
    return day.since(sinceSeq);
  }

  private isCurrent(day: FoldedDay): boolean {
    return !day.moved && this.monoMs() - this.builtAtMono < this.options.refreshMs && this.schoolDate() === this.builtOnDate;
  }

  private schoolDate(): string {
    return new Date(this.wallMs() + this.options.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
  }

  private update(update: Update): void {
    if (this.inFlight !== null) this.inFlight.push(update);
    else if (this.day !== null) fold(this.day, update);
    // With nothing held and nothing in flight, the next build reads this update from the store.
  }

  /** Waits for the next build, starting one now or as soon as the budget allows. */
  private nextBuild(): Promise<FoldedDay> {
    if (this.stopped) return Promise.reject(new Error('board server closed'));
    const ready = new Promise<FoldedDay>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.scheduleBuild();
    return ready;
  }

  private scheduleBuild(): void {
    if (this.inFlight !== null || this.timer !== null || this.stopped) return;
    const wait = Math.max(0, this.lastBuildMono + this.options.minBuildIntervalMs - this.monoMs());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.build();
    }, wait);
  }

  private build(): void {
    if (this.stopped) return;
    // Clients that ask while this build is in flight share it: every update from now on is folded
    // into it, and whatever was committed before the feed reads the store is in its read.
    const updates: Update[] = [];
    this.inFlight = updates;
    this.lastBuildMono = this.monoMs();
    this.builds += 1;
    const builtOnDate = this.schoolDate();
    this.options.feed.snapshot().then(
      (snapshot) => {
        this.inFlight = null;
        if (this.stopped) return;
        const day = new FoldedDay(snapshot, this.options.maxArrivals);
        for (const update of updates) fold(day, update);
        this.day = day;
        this.builtAtMono = this.lastBuildMono;
        this.builtOnDate = builtOnDate;
        // A live arrival of the next day came in while the store was read: that day is asked for
        // (the page says hello on a new day, and would be set back to the old one).
        if (day.moved) this.scheduleBuild();
        else this.settle({ day });
      },
      (error: unknown) => {
        this.inFlight = null;
        this.settle({ error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  }

  private settle(outcome: { day: FoldedDay } | { error: Error }): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if ('day' in outcome) waiter.resolve(outcome.day);
      else waiter.reject(outcome.error);
    }
  }
}

function fold(day: FoldedDay, update: Update): void {
  if ('arrival' in update) day.arrival(update.arrival);
  else day.counts(update.counts);
}
