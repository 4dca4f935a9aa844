// The hub's event log on PostgreSQL: the same seq rule, re-anchoring, alarms and read path as the
// SQLite log (sqlite-events.ts), made safe for several hub processes sharing one database.
//
// Two things make it safe:
// 1. Per device, an ingest locks the device's row in device_seqs (an upsert, so it exists) for the
//    whole transaction: a second push from the same device, on another process, waits and then sees
//    the first one's events. The seq rule is checked against committed state only.
// 2. Consumers page by hub_seq (`after=`). With a plain sequence a later number can commit before an
//    earlier one, and a consumer that already read past it would skip the earlier row forever. So
//    a push takes its block of hub seqs with hub_take_events_block (pg-schema.ts, migration 2),
//    which marks the block in flight with a transaction advisory lock, released at commit or abort;
//    a reader first asks hub_events_visible_below() for the lowest block still in flight and reads
//    only below it. Both run under a lock held for microseconds, never across a commit, so pushes
//    commit concurrently (group commit). (Migration 1 held a counter row's lock to COMMIT instead:
//    correct, but it ran every push's last statement and fsync one at a time, a third of the
//    throughput.) Alarm ids, rare, still come from a counter row held to commit ('alarms').
// Lock order is always device row -> 'alarms', so two ingests cannot deadlock.
import type { ClockAnchor, PushResponse, SeqSkip, WireEvent } from '../protocol/index.js';
import type { NamedSql, PgDb, PgQueryable } from './pg-db.js';
import { ensureMonthPartition, monthOf } from './pg-schema.js';
import type { EventReadResult, IngestItem, SeqAlarm } from './storage.js';
import { isoOrNull, readRow, type EventRow } from './stored-rows.js';

// The hot statements, prepared once per connection.
const LOCK_DEVICE: NamedSql = {
  name: 'hub_lock_device',
  text: 'INSERT INTO device_seqs (device_id) VALUES ($1) ON CONFLICT (device_id) DO UPDATE SET top_seq = device_seqs.top_seq RETURNING top_seq',
};
const STORED_MATCHES: NamedSql = {
  name: 'hub_stored_matches',
  text: 'SELECT id, device_id, seq FROM event_keys WHERE id = ANY($1::text[]) OR (device_id = $2 AND seq = ANY($3::bigint[]))',
};
const SAVE_ANCHORS: NamedSql = {
  name: 'hub_save_anchors',
  text: `WITH given AS (SELECT * FROM unnest($2::text[], $3::float8[], $4::bigint[]) AS a(boot_id, mono_ms, wall_ms)),
    saved AS (INSERT INTO clock_anchors (device_id, boot_id, mono_ms, wall_ms) SELECT $1, boot_id, mono_ms, wall_ms FROM given
      ON CONFLICT (device_id, boot_id) DO UPDATE SET mono_ms = excluded.mono_ms, wall_ms = excluded.wall_ms)
    UPDATE events e SET true_ms = (a.wall_ms + (e.mono_ms - a.mono_ms))::bigint FROM given a
    WHERE e.device_id = $1 AND e.boot_id = a.boot_id AND e.true_ms IS NULL`,
};
/** Takes a block of hub seqs (in flight until COMMIT) and stores the keys, the bodies and the device's new top seq, in one round trip. */
const STORE_EVENTS: NamedSql = {
  name: 'hub_store_events',
  text: `WITH block AS (SELECT hub_take_events_block(cardinality($4::text[])) - 1 AS base),
    rows AS (SELECT block.base + r.ord AS hub_seq, r.id, r.seq, r.type, r.boot_id, r.mono_ms, r.time_trusted, r.true_ms, r.body FROM block,
      unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::float8[], $9::smallint[], $10::bigint[], $11::text[])
        WITH ORDINALITY AS r(id, seq, type, boot_id, mono_ms, time_trusted, true_ms, body, ord)),
    keys AS (INSERT INTO event_keys (id, device_id, seq, hub_seq) SELECT id, $1, seq, hub_seq FROM rows),
    top AS (UPDATE device_seqs SET top_seq = $3 WHERE device_id = $1)
    INSERT INTO events (hub_seq, id, device_id, seq, type, boot_id, mono_ms, time_trusted, true_ms, received_ms, body)
    SELECT hub_seq, id, $1, seq, type, boot_id, mono_ms, time_trusted, true_ms, $2, body FROM rows`,
};

const VISIBLE_BELOW: NamedSql = { name: 'hub_visible_below', text: 'SELECT hub_events_visible_below() AS below' };
const READ_EVENTS: NamedSql = {
  name: 'hub_read_events',
  text: `SELECT hub_seq, device_id, received_ms, true_ms, time_trusted, body FROM events
    WHERE hub_seq > $1 AND hub_seq < $4 AND ($2::text IS NULL OR device_id = $2) ORDER BY hub_seq LIMIT $3`,
};

interface Stored {
  byId: Map<string, { device_id: string; seq: number }>;
  /** seq -> id of what this device already holds at the seqs offered. */
  seqs: Map<number, string>;
}

interface Response {
  accepted: string[];
  duplicates: string[];
  rejected: Array<{ id: string; error: string }>;
  deferred: Array<{ id: string; error: string }>;
}

class IngestRun {
  readonly response: Response = { accepted: [], duplicates: [], rejected: [], deferred: [] };
  readonly fresh: WireEvent[] = [];
  previousSeq = 0;

  constructor(
    readonly tx: PgQueryable,
    readonly deviceId: string,
    readonly nowMs: number,
    public expected: number,
  ) {}
}

export class PgEventLog {
  private readonly partitions = new Set<string>();

  constructor(private readonly db: PgDb) {}

  /** Retention dropped this month: if the hub's clock ever lands in it again, it is made anew. */
  forgetPartition(name: string): void {
    this.partitions.delete(name);
  }

  async ingest(deviceId: string, items: readonly IngestItem[], anchor: ClockAnchor | null, skip: SeqSkip | null, nowMs: number): Promise<PushResponse> {
    const partition = monthOf(nowMs).name;
    if (!this.partitions.has(partition)) this.partitions.add(await ensureMonthPartition(this.db, nowMs));
    return this.db.transaction(async (tx) => {
      const locked = await tx.query<{ top_seq: number }>(LOCK_DEVICE, [deviceId]);
      const run = new IngestRun(tx, deviceId, nowMs, (locked[0]?.top_seq ?? 0) + 1);
      if (skip && skip.from === run.expected) {
        await this.recordGap(run, skip.from, skip.to, null, `skipped by the device: ${skip.reason}`);
        await this.alarm(run, 'seq_skipped', skip.from, { to: skip.to, reason: skip.reason });
        run.expected = skip.to + 1;
      }
      const events = items.flatMap((item) => ('event' in item ? [item.event] : []));
      const anchors = await this.recordAnchors(tx, deviceId, events, anchor);
      const stored = await this.storedMatches(tx, deviceId, events);
      for (const item of items) await this.take(run, item, stored);
      if (run.fresh.length > 0) await this.insert(run, anchors);
      else await tx.query('UPDATE device_seqs SET top_seq = $2 WHERE device_id = $1', [deviceId, run.expected - 1]);
      run.response.accepted.push(...run.fresh.map((e) => e.id));
      return { ...run.response, expectedSeq: run.expected };
    });
  }

  /** One item of the push, in order: rejected, fresh, duplicate, deferred or a conflict. */
  private async take(run: IngestRun, item: IngestItem, stored: Stored): Promise<void> {
    if ('rejected' in item) {
      run.response.rejected.push({ id: item.rejected.id, error: item.rejected.error });
      // A refused event still takes its seq when it is the next one: the events behind it go on.
      const seq = item.rejected.seq;
      if (seq !== null && seq === run.expected && seq > run.previousSeq) {
        await this.recordGap(run, seq, seq, item.rejected.id, item.rejected.error);
        run.expected += 1;
        run.previousSeq = seq;
      }
      return;
    }
    const event = item.event;
    if (event.seq <= run.previousSeq) {
      run.response.rejected.push({ id: event.id, error: `schema: seq: ${event.seq} is not above the previous event's ${run.previousSeq} in this batch` });
      return;
    }
    run.previousSeq = event.seq;
    const verdict = await this.classify(run, event, stored);
    if (verdict === 'fresh') {
      run.fresh.push(event);
      stored.seqs.set(event.seq, event.id);
      if (event.seq === run.expected) run.expected += 1;
    } else if (verdict === 'duplicate') {
      run.response.duplicates.push(event.id);
    } else if (verdict.startsWith('gap:')) {
      run.response.deferred.push({ id: event.id, error: verdict });
    } else {
      run.response.rejected.push({ id: event.id, error: verdict });
    }
  }

  /** 'fresh', 'duplicate', a 'gap: …' (deferred) or a 'conflict: …' / 'schema: …' rejection. */
  private async classify(run: IngestRun, event: WireEvent, stored: Stored): Promise<string> {
    const byId = stored.byId.get(event.id);
    if (byId) {
      if (byId.device_id === run.deviceId && byId.seq === event.seq) return 'duplicate';
      await this.alarm(run, 'id_conflict', event.seq, { offeredId: event.id, storedDevice: byId.device_id, storedSeq: byId.seq });
      return `conflict: id ${event.id} is already stored as another event`;
    }
    if (event.seq > run.expected) return `gap: seq ${event.seq} is ahead of the next expected seq ${run.expected}; send it again after the events before it`;
    if (event.seq === run.expected) return 'fresh';
    const holder = stored.seqs.get(event.seq);
    if (holder !== undefined) {
      await this.alarm(run, 'seq_conflict', event.seq, { offeredId: event.id, storedId: holder });
      return `conflict: seq ${event.seq} already holds another event id for this device`;
    }
    const gaps = await run.tx.query<{ event_id: string | null; reason: string }>(
      'SELECT event_id, reason FROM seq_gaps WHERE device_id = $1 AND from_seq <= $2 AND to_seq >= $2',
      [run.deviceId, event.seq],
    );
    const gap = gaps[0];
    if (gap?.event_id === event.id) return gap.reason;
    if (gap) {
      await this.alarm(run, 'seq_conflict', event.seq, { offeredId: event.id, skipped: gap.reason });
      return `conflict: seq ${event.seq} was skipped (${gap.reason.slice(0, 120)})`;
    }
    // A hole below the highest seq, left by a hub that predates the seq rule: filling it is safe.
    return 'fresh';
  }

  private async recordGap(run: IngestRun, from: number, to: number, eventId: string | null, reason: string): Promise<void> {
    await run.tx.query('INSERT INTO seq_gaps (device_id, from_seq, to_seq, event_id, reason, received_ms) VALUES ($1, $2, $3, $4, $5, $6)', [
      run.deviceId,
      from,
      to,
      eventId,
      reason.slice(0, 300),
      run.nowMs,
    ]);
  }

  private async alarm(run: IngestRun, kind: SeqAlarm['kind'], seq: number, detail: Record<string, unknown>): Promise<void> {
    await run.tx.query(
      `WITH next AS (UPDATE hub_counters SET value = value + 1 WHERE name = 'alarms' RETURNING value)
       INSERT INTO seq_alarms (id, device_id, kind, seq, detail, at_ms) SELECT value, $1, $2, $3, $4, $5 FROM next`,
      [run.deviceId, kind, seq, JSON.stringify(detail), run.nowMs],
    );
  }

  async alarms(afterId: number, limit: number, deviceId?: string): Promise<SeqAlarm[]> {
    const rows = await this.db.query<{ id: number; device_id: string; kind: SeqAlarm['kind']; seq: number; detail: string; at_ms: number }>(
      `SELECT * FROM seq_alarms WHERE id > $1 AND ($2::text IS NULL OR device_id = $2) ORDER BY id LIMIT $3`,
      [afterId, deviceId ?? null, limit],
    );
    return rows.map((row) => {
      let detail: Record<string, unknown>;
      try {
        detail = JSON.parse(row.detail) as Record<string, unknown>;
      } catch {
        detail = { unreadable: true };
      }
      return { id: row.id, deviceId: row.device_id, kind: row.kind, seq: row.seq, detail, at: isoOrNull(row.at_ms) };
    });
  }

  /** Stores the fresh events under a block of hub seqs (see the top of this file). */
  private async insert(run: IngestRun, anchors: Map<string, ClockAnchor>): Promise<void> {
    const columns = { id: [] as string[], seq: [] as number[], type: [] as string[], boot: [] as string[], mono: [] as number[], trusted: [] as number[], trueMs: [] as Array<number | null>, body: [] as string[] };
    for (const event of run.fresh) {
      const anchor = anchors.get(event.bootId) ?? null;
      columns.id.push(event.id);
      columns.seq.push(event.seq);
      columns.type.push(event.type);
      columns.boot.push(event.bootId);
      columns.mono.push(event.monoMs);
      columns.trusted.push(event.timeTrusted ? 1 : 0);
      columns.trueMs.push(event.timeTrusted ? event.wallMs : anchor ? Math.round(anchor.wallMs + (event.monoMs - anchor.monoMs)) : null);
      columns.body.push(JSON.stringify(event));
    }
    await run.tx.query(STORE_EVENTS, [run.deviceId, run.nowMs, run.expected - 1, columns.id, columns.seq, columns.type, columns.boot, columns.mono, columns.trusted, columns.trueMs, columns.body]);
  }

  private async storedMatches(tx: PgQueryable, deviceId: string, events: WireEvent[]): Promise<Stored> {
    const stored: Stored = { byId: new Map(), seqs: new Map() };
    if (events.length === 0) return stored;
    const rows = await tx.query<{ id: string; device_id: string; seq: number }>(STORED_MATCHES, [events.map((e) => e.id), deviceId, events.map((e) => e.seq)]);
    const offered = new Set(events.map((e) => e.id));
    for (const row of rows) {
      if (offered.has(row.id)) stored.byId.set(row.id, { device_id: row.device_id, seq: row.seq });
      if (row.device_id === deviceId) stored.seqs.set(row.seq, row.id);
    }
    return stored;
  }

  /** Every trusted event and the request's anchor pin their boot's monotonic clock to true time. */
  private async recordAnchors(tx: PgQueryable, deviceId: string, events: WireEvent[], anchor: ClockAnchor | null): Promise<Map<string, ClockAnchor>> {
    const latest = new Map<string, ClockAnchor>();
    for (const event of events) {
      if (event.timeTrusted) latest.set(event.bootId, { bootId: event.bootId, monoMs: event.monoMs, wallMs: event.wallMs });
    }
    if (anchor) latest.set(anchor.bootId, anchor);
    if (latest.size > 0) {
      const list = [...latest.values()];
      await tx.query(SAVE_ANCHORS, [deviceId, list.map((a) => a.bootId), list.map((a) => a.monoMs), list.map((a) => a.wallMs)]);
    }
    const bootsWithout = [...new Set(events.filter((e) => !e.timeTrusted && !latest.has(e.bootId)).map((e) => e.bootId))];
    if (bootsWithout.length > 0) {
      const rows = await tx.query<{ boot_id: string; mono_ms: number; wall_ms: number }>(
        'SELECT boot_id, mono_ms, wall_ms FROM clock_anchors WHERE device_id = $1 AND boot_id = ANY($2::text[])',
        [deviceId, bootsWithout],
      );
      for (const row of rows) latest.set(row.boot_id, { bootId: row.boot_id, monoMs: row.mono_ms, wallMs: row.wall_ms });
    }
    return latest;
  }

  /** Events after `afterHubSeq`; a row that cannot be handed out is skipped and reported, and paging moves past it. */
  async read(afterHubSeq: number, limit: number, deviceId?: string): Promise<EventReadResult> {
    // Two statements on purpose: the page's snapshot must be taken after the horizon is known, so
    // every block below it has committed (or aborted) and is in the snapshot.
    const horizon = await this.db.query<{ below: number }>(VISIBLE_BELOW);
    const rows = await this.db.query<EventRow>(READ_EVENTS, [afterHubSeq, deviceId ?? null, limit, horizon[0]?.below ?? 0]);
    const result: EventReadResult = { events: [], skipped: [], lastHubSeq: rows.at(-1)?.hub_seq ?? null, more: rows.length === limit };
    for (const row of rows) {
      const read = readRow(row);
      if ('error' in read) result.skipped.push({ hubSeq: row.hub_seq, deviceId: row.device_id, error: read.error });
      else result.events.push(read);
    }
    return result;
  }
}
