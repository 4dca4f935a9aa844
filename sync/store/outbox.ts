// The unsent part of the event log. Stateless over the events table: pending rows oldest first,
// quarantined rows (rejected by upstream with a 4xx) kept for inspection but never offered again,
// synced rows eligible for retention pruning. Unsent events are never pruned, whatever the disk says.
import type { EventClock, EventOutbox, OutboxBacklog, StoredEvent } from './types.js';
import { type SqlRunner, type SqliteConnection, chunk, num, numOrNull } from './db.js';
import { EVENT_SELECT, rowToEvent } from './event-codec.js';

const IDS_PER_STATEMENT = 500;
const PRUNE_CHUNK = 2_000;

export class SqliteEventOutbox implements EventOutbox {
  constructor(
    private readonly db: SqliteConnection,
    private readonly clock: EventClock,
  ) {}

  /**
   * Oldest pending first, at most `limit` events and about `maxBytes` of JSON (measured as
   * JSON.stringify of each event). The first event is always returned, even if it alone exceeds
   * maxBytes, so one large event can never block the queue.
   */
  nextBatch(limit: number, maxBytes: number): Promise<StoredEvent[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.db.read('read outbox', async (sql) => {
      const rows = await sql.all(`${EVENT_SELECT} WHERE sync_state = 'pending' ORDER BY seq LIMIT ?`, [limit]);
      const batch: StoredEvent[] = [];
      let bytes = 2; // the enclosing [ ]
      for (const row of rows) {
        const event = rowToEvent(row);
        const size = Buffer.byteLength(JSON.stringify(event)) + 1;
        if (batch.length > 0 && bytes + size > maxBytes) break;
        batch.push(event);
        bytes += size;
      }
      return batch;
    });
  }

  markSynced(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    const now = this.clock.wallMs();
    return this.db.transaction('mark events synced', async (sql) => {
      for (const part of chunk(ids, IDS_PER_STATEMENT)) {
        await sql.run(
          `UPDATE events SET sync_state = 'synced', sync_error = NULL, synced_ms = ? WHERE id IN (${part.map(() => '?').join(', ')})`,
          [now, ...part],
        );
      }
    });
  }

  quarantine(rejected: ReadonlyArray<{ id: string; error: string }>): Promise<void> {
    if (rejected.length === 0) return Promise.resolve();
    return this.db.transaction('quarantine events', async (sql) => {
      for (const { id, error } of rejected) {
        // Only pending events: an event upstream already accepted stays synced.
        await sql.run(`UPDATE events SET sync_state = 'quarantined', sync_error = ? WHERE id = ? AND sync_state = 'pending'`, [error, id]);
      }
    });
  }

  backlog(): Promise<OutboxBacklog> {
    return this.db.read('read backlog', async (sql) => {
      const pending = await sql.get(`SELECT count(*) AS n, min(seq) AS oldest FROM events WHERE sync_state = 'pending'`);
      const quarantined = await sql.get(`SELECT count(*) AS n FROM events WHERE sync_state = 'quarantined'`);
      return {
        pending: pending ? num(pending, 'n') : 0,
        quarantined: quarantined ? num(quarantined, 'n') : 0,
        oldestPendingSeq: pending ? numOrNull(pending, 'oldest') : null,
      };
    });
  }

  /** Quarantined events with their upstream error, oldest first (for `esik sync status`). */
  quarantined(limit: number): Promise<Array<{ event: StoredEvent; error: string | null }>> {
    return this.db.read('read quarantine', async (sql) => {
      const rows = await sql.all(
        `SELECT seq, id, device_id, boot_id, mono_ms, wall_ms, at, time_trusted, type, door, direction, person_id, credential, reason, data, sync_error
         FROM events WHERE sync_state = 'quarantined' ORDER BY seq LIMIT ?`,
        [limit],
      );
      return rows.map((row) => ({ event: rowToEvent(row), error: typeof row.sync_error === 'string' ? row.sync_error : null }));
    });
  }

  /**
   * Retention: deletes synced events whose wallMs is before `cutoffWallMs` (an epoch time, not an
   * age). Pending and quarantined events are never touched. Deletes in chunks of PRUNE_CHUNK rows,
   * one transaction each, so appends queued meanwhile commit between chunks instead of waiting for
   * a month of history to be zeroed (secure_delete). The highest pruned seq is remembered so seq
   * never repeats even if every event row is gone.
   */
  async pruneSynced(cutoffWallMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.db.transaction('prune synced events', (sql) => this.pruneChunk(sql, cutoffWallMs));
      total += removed;
      if (removed < PRUNE_CHUNK) return total;
    }
  }

  private async pruneChunk(sql: SqlRunner, cutoffWallMs: number): Promise<number> {
    const rows = await sql.all(`SELECT seq FROM events WHERE sync_state = 'synced' AND wall_ms < ? ORDER BY seq LIMIT ?`, [cutoffWallMs, PRUNE_CHUNK]);
    const seqs = rows.map((row) => num(row, 'seq'));
    const top = seqs[seqs.length - 1];
    if (top === undefined) return 0;
    await sql.run(
      `INSERT INTO kv (key, value) VALUES ('events.seqFloor', ?)
       ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`,
      [String(top)],
    );
    let removed = 0;
    for (const part of chunk(seqs, IDS_PER_STATEMENT)) {
      removed += (await sql.run(`DELETE FROM events WHERE seq IN (${part.map(() => '?').join(', ')})`, part)).changes;
    }
    return removed;
  }
}
