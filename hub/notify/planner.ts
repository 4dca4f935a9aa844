// Reads the hub's events in hub-seq order and turns each passage of a child into outbox rows, one per
// (event, guardian, channel), written together with the new cursor in one transaction: a crash
// before the commit re-reads the page, after it the rows are there; a key written twice is kept once.
import type { HubEvent, HubStorage } from '../storage.js';
import { parseHhMm, rowsForGuardians, schoolClock } from './attendance.js';
import type { GuardianRecord, NewOutboxRow, NoticeKind, NoticePayload, NotifyStore, Presence } from './model.js';

export interface PlannerOptions {
  pageSize: number;
  /** A passage older than this when first read is not announced (a notifier back after a day's outage). */
  maxAgeMs: number;
  /** The school's zone: its days (first arrival, late) and times. */
  timeZone: string;
  /** HH:MM: a first arrival of the day after it is announced as late; null: never. */
  bell: string | null;
  /**
   * A passage in the same direction as the child's previous one within this time is not announced
   * again (a card read twice, a turnstile retried). A change of direction always is: a parent must
   * learn that the child went out again.
   */
  repeatWindowMs: number;
}

export const DEFAULT_PLANNER_OPTIONS: PlannerOptions = { pageSize: 200, maxAgeMs: 3600_000, timeZone: 'Asia/Almaty', bell: null, repeatWindowMs: 5 * 60_000 };

interface PlannerLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

interface Passage {
  event: HubEvent;
  kind: NoticeKind;
  at: string;
  personId: string;
}

function passageOf(event: HubEvent): Passage | null {
  const { type, personId, direction } = event.event;
  if (type !== 'access.granted' || personId === null || (direction !== 'in' && direction !== 'out')) return null;
  return { event, kind: direction === 'in' ? 'arrival' : 'departure', at: event.trueAt ?? event.receivedAt, personId };
}

export class NoticePlanner {
  private readonly bellMinutes: number | null;
  /**
   * Each child's last passage seen, for folding repeats. In memory: after a restart, or in another
   * hub process, one repeat may be announced; nothing is lost.
   */
  private readonly lastPassage = new Map<string, { direction: 'in' | 'out'; atMs: number }>();

  constructor(
    private readonly storage: HubStorage,
    private readonly store: NotifyStore,
    private readonly logger: PlannerLogger,
    private readonly now: () => number = Date.now,
    private readonly options: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
  ) {
    this.bellMinutes = parseHhMm(options.bell);
  }

  /** Plans pages until the reader is caught up. Returns how many rows were written. */
  async catchUp(): Promise<number> {
    let written = 0;
    for (;;) {
      const from = await this.store.cursor();
      const page = await this.storage.readEvents(from, this.options.pageSize);
      for (const bad of page.skipped) this.logger.warn({ hubSeq: bad.hubSeq, deviceId: bad.deviceId, error: bad.error }, 'notifier skipped an unreadable event');
      if (page.lastHubSeq === null || page.lastHubSeq <= from) return written;
      const all = page.events.map(passageOf).filter((p): p is Passage => p !== null);
      const presence = await this.firstArrivals(all);
      const folded = this.foldRepeats(all);
      const rows = await this.rowsFor(folded.kept);
      // Another hub process moved the cursor first: its rows are the same keys; read on from there
      // (and forget this page's passages: the re-read must not take them for repeats of themselves).
      if (await this.store.plan(from, page.lastHubSeq, rows, presence, this.now())) {
        written += rows.length;
        for (const [personId, last] of folded.last) this.remember(personId, last);
      }
      if (!page.more) return written;
    }
  }

  /** The page's passages that are not repeats, and each child's last passage once the page is planned. */
  private foldRepeats(passages: readonly Passage[]): { kept: Passage[]; last: Map<string, { direction: 'in' | 'out'; atMs: number }> } {
    const last = new Map<string, { direction: 'in' | 'out'; atMs: number }>();
    const kept = passages.filter((passage) => {
      const direction = passage.kind === 'departure' ? 'out' : 'in';
      const atMs = Date.parse(passage.at);
      const before = last.get(passage.personId) ?? this.lastPassage.get(passage.personId);
      last.set(passage.personId, { direction, atMs });
      const gap = before === undefined ? Infinity : atMs - before.atMs;
      return !(before?.direction === direction && gap >= 0 && gap < this.options.repeatWindowMs);
    });
    return { kept, last };
  }

  private remember(personId: string, passage: { direction: 'in' | 'out'; atMs: number }): void {
    this.lastPassage.delete(personId); // re-inserted last: the map's order is oldest first
    this.lastPassage.set(personId, passage);
    if (this.lastPassage.size > 100_000) this.lastPassage.delete(this.lastPassage.keys().next().value as string);
  }

  /**
   * Each child's first arrival of a school day not recorded before; a first arrival after the bell
   * becomes a late notice (its passage's kind is changed here).
   */
  private async firstArrivals(passages: Passage[]): Promise<Presence[]> {
    const arrivals = passages.filter((p) => p.kind === 'arrival').map((p) => ({ passage: p, personId: p.personId, ...schoolClock(Date.parse(p.at), this.options.timeZone) }));
    if (arrivals.length === 0) return [];
    const known = await this.store.present(arrivals);
    const presence: Presence[] = [];
    for (const arrival of arrivals) {
      const id = `${arrival.personId}|${arrival.day}`;
      if (known.has(id)) continue;
      known.add(id);
      presence.push({ personId: arrival.personId, day: arrival.day, atMs: Date.parse(arrival.passage.at) });
      if (this.bellMinutes !== null && arrival.minutes > this.bellMinutes) arrival.passage.kind = 'late';
    }
    return presence;
  }

  private async rowsFor(all: readonly Passage[]): Promise<NewOutboxRow[]> {
    const now = this.now();
    const passages = all.filter((p) => now - Date.parse(p.at) <= this.options.maxAgeMs);
    if (passages.length === 0) return [];
    const children = [...new Set(passages.map((p) => p.personId))];
    // Consent to notices withdrawn from the parents' page: nothing is planned (the dispatcher also
    // cancels rows planned before the withdrawal).
    const withdrawn = await this.store.noticesWithdrawn(children);
    const guardians = (await this.store.activeGuardians(children)).filter((g) => !withdrawn.has(g.personId));
    const byPerson = new Map<string, GuardianRecord[]>();
    for (const guardian of guardians) byPerson.set(guardian.personId, [...(byPerson.get(guardian.personId) ?? []), guardian]);
    const names = new Map<string, string | null>();
    const rows: NewOutboxRow[] = [];
    for (const passage of passages) {
      const forChild = byPerson.get(passage.personId);
      if (!forChild) continue;
      const firstName = await this.firstName(passage.personId, names);
      // A child deleted or blocked on the hub (consent withdrawn, left school) is not announced.
      if (firstName === null) continue;
      const payload: NoticePayload = { kind: passage.kind, eventId: passage.event.event.id, personId: passage.personId, firstName, at: passage.at, door: passage.event.event.door };
      rows.push(...rowsForGuardians(payload, forChild, payload.eventId));
    }
    return rows;
  }

  private async firstName(personId: string, cache: Map<string, string | null>): Promise<string | null> {
    if (cache.has(personId)) return cache.get(personId) ?? null;
    const entity = await this.storage.rosterEntity('person', personId);
    const name = entity?.op === 'upsert' && entity.type === 'person' && entity.data.status === 'active' ? (entity.data.name.trim().split(/\s+/)[0] ?? null) : null;
    cache.set(personId, name);
    return name;
  }
}
