// The lobby board's view of the kiosk: today's granted passages from the store, masked per display
// consent, with present/expected/late per class. It implements display/'s BoardFeed.
//
// Hot path: the kiosk emits 'event' synchronously right after a commit; this feed only queues the
// event with setImmediate there, so the door decision never waits for counting, masking or
// socket.io. ('decision' would miss grants the kiosk held in memory while the store was failing and
// committed later; 'event' sees every committed one, and only committed ones.)
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { BoardArrival, BoardCounts, BoardFeed, BoardFeedEvents, BoardGroupCount, BoardSnapshot } from '../display/index.js';
import type { KioskEvents } from './kiosk/index.js';
import { isoWithOffset } from '../sync/store/index.js';
import type { EventLog, Person, PersonRole, RosterSnapshot, StoredEvent } from '../sync/store/index.js';
import { EARLIEST_PLAUSIBLE_MS } from './clock.js';
import { localDay, parseClockTime, toLocalTime } from './policy/index.js';

export interface BoardFeedOptions {
  events: Pick<EventLog, 'between'>;
  /** The in-memory roster (RosterCache): people, their groups and display consent. */
  roster: { readonly roster: RosterSnapshot };
  /** The kiosk's clock: wall (epoch ms), monotonic (as events carry it) and the school's UTC offset (Kazakhstan: +300). */
  clock: { wallMs(): number; monoMs(): number; utcOffsetMinutes(): number };
  logger: Logger;
  /** "08:30": a first entry after it is late; per-group overrides for a second shift. */
  bellTime: string;
  bellTimes?: Record<string, string>;
  /** Roles whose names may be shown at all (each person's display consent still applies). */
  nameRoles?: readonly PersonRole[];
  /** Roles counted in a class's expected/present/late. */
  expectedRoles?: readonly PersonRole[];
  /** Newest arrivals in a snapshot at most. */
  snapshotArrivals?: number;
}

const EXPECTED_CACHE_MS = 5_000;
/** Passages of this boot recorded while the wall clock was unset, kept to place them later (a morning's worth). */
const UNSET_CLOCK_EVENTS_MAX = 20_000;

/** The school-local day containing `wallMs` (the policy's calendar arithmetic, one copy of it). */
export function schoolDay(wallMs: number, offsetMinutes: number): { date: string; startMs: number; endMs: number } {
  return localDay(wallMs, offsetMinutes);
}

/** What the lobby may show of a name, by the person's display consent. Never more. */
export function maskName(person: Pick<Person, 'name' | 'shortName' | 'displayConsent'>): string {
  const words = person.name.trim().split(/\s+/).filter((w) => w.length > 0);
  switch (person.displayConsent) {
    case 'none':
      return '';
    case 'initials':
      return words.map((w) => `${Array.from(w)[0] ?? ''}.`).join(' ');
    case 'short': {
      if (person.shortName !== null && person.shortName.trim() !== '') return person.shortName.trim();
      const [first, last] = words;
      return last === undefined ? (first ?? '') : `${first} ${Array.from(last)[0] ?? ''}.`;
    }
    case 'full':
      return words.join(' ');
  }
}

interface PersonDay {
  group: string | null;
  counted: boolean;
  inside: boolean;
  entered: boolean;
  late: boolean;
}

/** Today's passages folded per person; the same fold serves snapshots (from SQLite) and live updates. */
class DayState {
  lastSeq = 0;
  /** Seqs already applied: commits may be reported slightly out of order, and never twice. */
  private readonly applied = new Set<number>();
  private readonly people = new Map<string, PersonDay>();
  private readonly present = new Map<string, number>();
  private readonly lateCount = new Map<string, number>();

  constructor(
    readonly date: string,
    private readonly feed: { bellMinute(group: string | null): number; expectedRoles: ReadonlySet<PersonRole>; nameRoles: ReadonlySet<PersonRole>; offset: number },
  ) {}

  /** Applies one granted passage; null when the person is unknown (erased) or the event carries no passage. */
  apply(event: StoredEvent, person: Person | undefined, wallMs: number): BoardArrival | null {
    if (this.applied.has(event.seq)) return null;
    this.applied.add(event.seq);
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    if (person === undefined || event.direction === null) return null;
    let day = this.people.get(person.id);
    if (day === undefined) {
      day = { group: person.group, counted: person.group !== null && this.feed.expectedRoles.has(person.role), inside: false, entered: false, late: false };
      this.people.set(person.id, day);
    }
    let late = false;
    if (event.direction === 'in' && !day.entered) {
      day.entered = true;
      late = day.counted && toLocalTime(wallMs, this.feed.offset).minuteOfDay >= this.feed.bellMinute(day.group);
      day.late = late;
      if (late) this.bump(this.lateCount, day.group, 1);
    }
    const inside = event.direction === 'in';
    if (day.counted && inside !== day.inside) this.bump(this.present, day.group, inside ? 1 : -1);
    day.inside = inside;
    return {
      seq: event.seq,
      at: wallMs === event.wallMs ? event.at : isoWithOffset(wallMs, this.feed.offset),
      direction: event.direction,
      displayName: this.feed.nameRoles.has(person.role) ? maskName(person) : '',
      group: person.group,
      role: person.role,
      late,
      door: event.door ?? '',
    };
  }

  count(group: string, expected: number): BoardGroupCount {
    return { group, expected, present: this.present.get(group) ?? 0, late: this.lateCount.get(group) ?? 0 };
  }

  groupsSeen(): string[] {
    return [...this.present.keys(), ...this.lateCount.keys()];
  }

  private bump(map: Map<string, number>, group: string | null, by: number): void {
    if (group === null) return;
    map.set(group, (map.get(group) ?? 0) + by);
  }
}

export class StoreBoardFeed extends EventEmitter<BoardFeedEvents> implements BoardFeed {
  private readonly log: Logger;
  private readonly rules: { bellMinute(group: string | null): number; expectedRoles: ReadonlySet<PersonRole>; nameRoles: ReadonlySet<PersonRole>; offset: number };
  private live: DayState | null = null;
  private loading: Promise<void> | null = null;
  private readonly queued: StoredEvent[] = [];
  private expectedCache: { atMs: number; byGroup: Map<string, number> } | null = null;
  private detach: (() => void) | null = null;
  private pendingRead: { startMs: number; events: Promise<StoredEvent[]> } | null = null;
  /** seq -> this boot's granted passage committed while the wall clock read an unset (pre-2024) time. */
  private readonly unsetClockEvents = new Map<number, StoredEvent>();
  private builds = 0;

  constructor(private readonly options: BoardFeedOptions) {
    super();
    this.log = options.logger.child({ ns: 'board-feed' });
    const bell = parseClockTime(options.bellTime);
    const perGroup = new Map(Object.entries(options.bellTimes ?? {}).map(([g, t]) => [g, parseClockTime(t)]));
    this.rules = {
      bellMinute: (group) => (group !== null ? perGroup.get(group) : undefined) ?? bell,
      expectedRoles: new Set(options.expectedRoles ?? ['student']),
      nameRoles: new Set(options.nameRoles ?? ['student', 'staff']),
      get offset() {
        return options.clock.utcOffsetMinutes();
      },
    };
  }

  /** Loads today's state from the store; live events that arrive meanwhile are applied after it. */
  async start(): Promise<void> {
    this.loading ??= this.load();
    await this.loading;
  }

  /** Follows a kiosk's committed events. Returns the detach function. */
  attach(kiosk: EventEmitter<KioskEvents>): () => void {
    const listener = (event: StoredEvent): void => this.committed(event);
    kiosk.on('event', listener);
    this.detach = () => kiosk.off('event', listener);
    return this.detach;
  }

  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  /** Called synchronously on the hot path: only defers. */
  committed(event: StoredEvent): void {
    if (event.type !== 'access.granted') return;
    if (event.wallMs < EARLIEST_PLAUSIBLE_MS && this.unsetClockEvents.size < UNSET_CLOCK_EVENTS_MAX) this.unsetClockEvents.set(event.seq, event);
    setImmediate(() => this.ingest(event));
  }

  /**
   * When the passage happened, by today's clock. A Pi without an RTC can boot in 1970 and get the
   * real time from NTP at 09:00: this boot's earlier passages are then placed by the monotonic clock
   * (now minus how long ago they were), so the morning's arrivals stay on today's board instead of
   * vanishing into a "1970" day. Passages of earlier boots keep their recorded time (the hub re-anchors them).
   */
  private placedWallMs(event: StoredEvent): number {
    if (event.wallMs >= EARLIEST_PLAUSIBLE_MS || !this.unsetClockEvents.has(event.seq)) return event.wallMs;
    return this.options.clock.wallMs() - (this.options.clock.monoMs() - event.monoMs);
  }

  /** Today's passages: those recorded in today's range, plus this boot's unset-clock ones that fall into it. */
  private async todaysEvents(day: { startMs: number; endMs: number }, read: Promise<StoredEvent[]>): Promise<StoredEvent[]> {
    const recorded = await read;
    if (this.unsetClockEvents.size === 0) return recorded;
    const bySeq = new Map(recorded.map((e) => [e.seq, e]));
    for (const event of this.unsetClockEvents.values()) {
      const wallMs = this.placedWallMs(event);
      if (wallMs >= day.startMs && wallMs < day.endMs) bySeq.set(event.seq, event);
    }
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /**
   * Snapshots built so far (each one a read of today's events and a fold on this, the door's,
   * thread): what a flood of board clients would cost the kiosk, shown in `esik status`.
   */
  get snapshotBuilds(): number {
    return this.builds;
  }

  async snapshot(afterSeq?: number): Promise<BoardSnapshot> {
    this.builds += 1;
    const day = schoolDay(this.options.clock.wallMs(), this.rules.offset);
    const state = new DayState(day.date, this.rules);
    const events = await this.todaysEvents(day, this.readDay(day));
    const people = this.options.roster.roster.people;
    const arrivals: BoardArrival[] = [];
    for (const event of events) {
      const arrival = state.apply(event, people.get(event.personId ?? ''), this.placedWallMs(event));
      if (arrival !== null && arrival.seq > (afterSeq ?? 0)) arrivals.push(arrival);
    }
    return {
      date: day.date,
      arrivals: arrivals.slice(-(this.options.snapshotArrivals ?? 200)),
      groups: this.groupCounts(state, null),
      lastSeq: Math.max(afterSeq ?? 0, state.lastSeq),
    };
  }

  /**
   * Today's granted events. Snapshot requests made in the same turn of the event loop share one
   * read (fifty lobby screens reconnecting after a restart cost one query). Only reads not yet
   * started are shared: a caller must never get a read that began before it asked, or an event
   * committed in between could be neither in its snapshot nor in its live updates.
   */
  private readDay(day: { startMs: number; endMs: number }): Promise<StoredEvent[]> {
    const pending = this.pendingRead;
    if (pending !== null && pending.startMs === day.startMs) return pending.events;
    const entry = {
      startMs: day.startMs,
      events: new Promise<StoredEvent[]>((resolve, reject) => {
        setImmediate(() => {
          if (this.pendingRead === entry) this.pendingRead = null;
          this.options.events.between(day.startMs, day.endMs, ['access.granted']).then(resolve, reject);
        });
      }),
    };
    this.pendingRead = entry;
    return entry.events;
  }

  private async load(): Promise<void> {
    const day = schoolDay(this.options.clock.wallMs(), this.rules.offset);
    const state = new DayState(day.date, this.rules);
    try {
      const events = await this.todaysEvents(day, this.options.events.between(day.startMs, day.endMs, ['access.granted']));
      for (const event of events) state.apply(event, this.options.roster.roster.people.get(event.personId ?? ''), this.placedWallMs(event));
    } catch (error: unknown) {
      this.log.error({ err: error }, 'board feed could not read today from the store; counting from now');
    }
    this.live = state;
    for (const event of this.queued.splice(0)) this.ingest(event);
  }

  private ingest(event: StoredEvent): void {
    if (this.live === null) {
      this.queued.push(event);
      void this.start();
      return;
    }
    const wallMs = this.placedWallMs(event);
    const day = schoolDay(wallMs, this.rules.offset);
    if (day.date > this.live.date) this.live = this.freshDay(day, event.seq);
    else if (day.date < this.live.date) return;
    const person = this.options.roster.roster.people.get(event.personId ?? '');
    const arrival = this.live.apply(event, person, wallMs);
    if (arrival === null) return;
    this.emit('arrival', arrival);
    if (arrival.group !== null) {
      const counts: BoardCounts = { seq: this.live.lastSeq, groups: this.groupCounts(this.live, arrival.group) };
      this.emit('counts', counts);
    }
  }

  /**
   * A new day for live updates: midnight, or the wall clock set for the first time this boot. In the
   * latter case this boot's unset-clock passages that belong to the new day are counted in it.
   */
  private freshDay(day: { date: string; startMs: number; endMs: number }, exceptSeq: number): DayState {
    const state = new DayState(day.date, this.rules);
    for (const event of this.unsetClockEvents.values()) {
      const wallMs = this.placedWallMs(event);
      if (event.seq !== exceptSeq && wallMs >= day.startMs && wallMs < day.endMs) state.apply(event, this.options.roster.roster.people.get(event.personId ?? ''), wallMs);
    }
    return state;
  }

  /** Counts for one group, or for every group that is expected or has been seen today. */
  private groupCounts(state: DayState, only: string | null): BoardGroupCount[] {
    const expected = this.expectedByGroup();
    if (only !== null) return [state.count(only, expected.get(only) ?? 0)];
    const groups = new Set([...expected.keys(), ...state.groupsSeen()]);
    return [...groups].sort().map((group) => state.count(group, expected.get(group) ?? 0));
  }

  /** Active people of the counted roles per group; cached briefly, the roster changes rarely. */
  private expectedByGroup(): Map<string, number> {
    const now = this.options.clock.wallMs();
    if (this.expectedCache !== null && now - this.expectedCache.atMs < EXPECTED_CACHE_MS) return this.expectedCache.byGroup;
    const byGroup = new Map<string, number>();
    for (const person of this.options.roster.roster.people.values()) {
      if (person.status !== 'active' || person.group === null || !this.rules.expectedRoles.has(person.role)) continue;
      byGroup.set(person.group, (byGroup.get(person.group) ?? 0) + 1);
    }
    this.expectedCache = { atMs: now, byGroup };
    return byGroup;
  }
}
