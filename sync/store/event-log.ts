// The durable event log with group commit. An append is stamped (id, clocks) when it arrives and
// waits in a queue; one flusher at a time takes everything queued and commits it in a single
// transaction (one fsync under synchronous=FULL for the whole group). Appends arriving during a
// commit form the next group. seq is assigned only inside the committing transaction, from an
// in-memory counter that advances only after COMMIT succeeds, so a failed group consumes no seq.
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import type { AppendOptions, EventClock, EventDraft, EventLog, EventType, StoredEvent } from './types.js';
import { type SqlValue, type SqliteConnection, chunk, placeholders } from './db.js';
import { EVENT_COLUMNS, EVENT_SELECT, eventParams, isoWithOffset, rowToEvent } from './event-codec.js';
import { CredentialConsumedError, StoreClosedError } from './errors.js';

/** Rows per INSERT statement: 15 columns x 500 stays far below SQLite's variable limit. */
const ROWS_PER_INSERT = 500;
/** Upper bound of one group, so a huge burst still commits in bounded transactions. */
const MAX_GROUP = 2_000;

interface QueuedAppend {
  event: Omit<StoredEvent, 'seq'>;
  credentialJson: string | null;
  dataJson: string | null;
  consumeCredentialId: string | null;
  resolve(event: StoredEvent): void;
  reject(error: unknown): void;
}

export interface EventLogIdentity {
  deviceId: string;
  bootId: string;
}

export class GroupCommitEventLog implements EventLog {
  private readonly queue: QueuedAppend[] = [];
  /** The running flush loop, if any; it never rejects (each append settles on its own). */
  private flushing: Promise<void> | null = null;
  private closed = false;
  private last: number;
  private groups = 0;
  private readonly log: Logger;

  constructor(
    private readonly db: SqliteConnection,
    private readonly clock: EventClock,
    private readonly identity: EventLogIdentity,
    lastSeq: number,
    /** One-time credentials already consumed, shared with the store (usedSingleUseCredentials). */
    private readonly consumed: Set<string>,
    logger: Logger,
  ) {
    this.last = lastSeq;
    this.log = logger.child({ ns: 'store.events' });
  }

  /** Committed groups so far: fewer than events when concurrent appends shared a transaction. */
  get commits(): number {
    return this.groups;
  }

  /** After recovery adopted salvaged events: the next seq continues above them. */
  raiseFloor(seq: number): void {
    this.last = Math.max(this.last, seq);
  }

  lastSeq(): number {
    return this.last;
  }

  append(draft: EventDraft, opts: AppendOptions = {}): Promise<StoredEvent> {
    return new Promise<StoredEvent>((resolve, reject) => {
      if (this.closed) {
        reject(new StoreClosedError('event log is closed'));
        return;
      }
      let queued: QueuedAppend;
      try {
        queued = this.stamp(draft, opts.consumeCredentialId ?? null, resolve, reject);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (queued.consumeCredentialId !== null) this.consumed.add(queued.consumeCredentialId);
      this.queue.push(queued);
      if (this.flushing === null) this.flushing = this.flushLoop();
    });
  }

  /** Stops accepting appends and waits until everything already queued is committed or rejected. */
  async drain(): Promise<void> {
    this.closed = true;
    // Promise-based, not polled on a timer: fake timers in a caller's test cannot stall close().
    while (this.flushing !== null) await this.flushing;
  }

  private stamp(
    draft: EventDraft,
    consumeCredentialId: string | null,
    resolve: (event: StoredEvent) => void,
    reject: (error: unknown) => void,
  ): QueuedAppend {
    if (consumeCredentialId !== null && this.consumed.has(consumeCredentialId)) {
      throw new CredentialConsumedError(`one-time credential ${consumeCredentialId} was already used`);
    }
    const wallMs = this.clock.wallMs();
    if (!Number.isFinite(wallMs)) throw new RangeError(`clock returned a non-finite wall time: ${wallMs}`);
    const event: Omit<StoredEvent, 'seq'> = {
      ...draft,
      id: uuidv7(),
      deviceId: this.identity.deviceId,
      bootId: this.identity.bootId,
      monoMs: this.clock.monoMs(),
      wallMs,
      at: isoWithOffset(wallMs, this.clock.utcOffsetMinutes()),
      timeTrusted: this.clock.trusted(),
    };
    // Serialise now: a draft that cannot become JSON fails alone instead of failing its group.
    const credentialJson = draft.credential === null ? null : JSON.stringify(draft.credential);
    const dataJson = draft.data === undefined ? null : JSON.stringify(draft.data);
    return { event, credentialJson, dataJson, consumeCredentialId, resolve, reject };
  }

  private async flushLoop(): Promise<void> {
    // A native promise turn (not a timer, so fake timers cannot stall it) lets appends made in the
    // same synchronous run join the first group.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        await this.commitGroup(this.queue.splice(0, MAX_GROUP));
      }
    } finally {
      this.flushing = null;
    }
  }

  private async commitGroup(group: QueuedAppend[]): Promise<void> {
    const first = this.last + 1;
    const events = group.map((item, i): StoredEvent => ({ ...item.event, seq: first + i }));
    try {
      await this.db.transaction('append events', async (sql) => {
        for (const part of chunk(events.map((event, i) => ({ event, item: group[i] })), ROWS_PER_INSERT)) {
          const params: SqlValue[] = [];
          for (const { event, item } of part) {
            params.push(...eventParams(event, item?.credentialJson ?? null, item?.dataJson ?? null));
          }
          await sql.run(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${placeholders(part.length, EVENT_COLUMNS.length)}`, params);
        }
        for (const [i, item] of group.entries()) {
          if (item.consumeCredentialId === null) continue;
          await sql.run('INSERT INTO credential_uses (credential_id, event_seq, wall_ms) VALUES (?, ?, ?)', [
            item.consumeCredentialId, first + i, item.event.wallMs,
          ]);
        }
      });
    } catch (error) {
      if (error instanceof Error && error.message.includes('events.seq')) {
        // Our counter is behind the file: another process is appending to this database.
        this.log.fatal({ err: error, firstSeq: first }, 'seq already taken: a second process is writing this database');
      }
      this.log.error({ err: error, events: group.length, firstSeq: first }, 'event group failed; no seq consumed');
      for (const item of group) {
        if (item.consumeCredentialId !== null) this.consumed.delete(item.consumeCredentialId);
        item.reject(error);
      }
      return;
    }
    this.last = first + group.length - 1;
    this.groups += 1;
    group.forEach((item, i) => item.resolve(events[i]));
  }

  since(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return this.db.read('read events', async (sql) =>
      (await sql.all(`${EVENT_SELECT} WHERE seq > ? ORDER BY seq LIMIT ?`, [afterSeq, limit])).map(rowToEvent),
    );
  }

  between(fromMs: number, toMs: number, types?: EventType[]): Promise<StoredEvent[]> {
    const params: SqlValue[] = [fromMs, toMs];
    let filter = '';
    if (types !== undefined) {
      if (types.length === 0) return Promise.resolve([]);
      filter = ` AND type IN (${types.map(() => '?').join(', ')})`;
      params.push(...types);
    }
    return this.db.read('read events', async (sql) =>
      (await sql.all(`${EVENT_SELECT} WHERE wall_ms >= ? AND wall_ms < ?${filter} ORDER BY seq`, params)).map(rowToEvent),
    );
  }
}
