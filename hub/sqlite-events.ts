// The hub's event log on SQLite: ingestion under the seq rule, clock re-anchoring, seq alarms, and a
// read path that never throws on what is stored.
//
// Seq rule (docs/protocol.md): a device's events are stored at contiguous seqs. The next one the hub
// takes is its highest stored (or skipped) seq + 1; an event beyond that is deferred ("send it again
// later"), never stored ahead. With a stolen token, forged events at future seqs used to turn the
// kiosk's genuine events into conflicts that it quarantined; now they wait, and a collision at a
// seq that is already taken raises an alarm the operator can read.
import type { ClockAnchor, PushResponse, SeqSkip, WireEvent } from '../protocol/index.js';
import type { HubDb, SqlValue } from './db.js';
import type { EventReadResult, IngestItem, SeqAlarm } from './storage.js';
import { isoOrNull, readRow, type EventRow } from './stored-rows.js';

export const EVENT_SCHEMA = `
CREATE TABLE IF NOT EXISTS seq_gaps (
  device_id TEXT NOT NULL, from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL, event_id TEXT, reason TEXT NOT NULL, received_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, from_seq));
CREATE INDEX IF NOT EXISTS seq_gaps_to ON seq_gaps (device_id, to_seq);
CREATE TABLE IF NOT EXISTS seq_alarms (
  id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL,
  detail TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS seq_alarms_device ON seq_alarms (device_id, id);
CREATE TABLE IF NOT EXISTS pruned_seqs (device_id TEXT PRIMARY KEY, top_seq INTEGER NOT NULL);
`;

/** Rows per multi-row INSERT (10 parameters each) and ids per IN (...) lookup. */
const INSERT_CHUNK = 50;
const LOOKUP_CHUNK = 500;

interface Stored {
  byId: Map<string, { device_id: string; seq: number }>;
  seqs: Set<number>;
}

export class SqliteEventLog {
  constructor(private readonly db: HubDb) {}

  ingest(deviceId: string, items: readonly IngestItem[], anchor: ClockAnchor | null, skip: SeqSkip | null, nowMs: number): Promise<PushResponse> {
    return this.db.transaction(async () => {
      const response = { accepted: [] as string[], duplicates: [] as string[], rejected: [] as Array<{ id: string; error: string }>, deferred: [] as Array<{ id: string; error: string }> };
      let expected = await this.nextExpectedSeq(deviceId);
      if (skip && skip.from === expected) {
        await this.recordGap(deviceId, skip.from, skip.to, null, `skipped by the device: ${skip.reason}`, nowMs);
        await this.alarm(deviceId, 'seq_skipped', skip.from, { to: skip.to, reason: skip.reason }, nowMs);
        expected = skip.to + 1;
      }
      const events = items.flatMap((item) => ('event' in item ? [item.event] : []));
      const anchors = await this.recordAnchors(deviceId, events, anchor);
      const stored = await this.storedMatches(deviceId, events);
      const fresh: WireEvent[] = [];
      let previousSeq = 0;
      for (const item of items) {
        if ('rejected' in item) {
          response.rejected.push({ id: item.rejected.id, error: item.rejected.error });
          // A refused event still takes its seq when it is the next one: the events behind it go on.
          const seq = item.rejected.seq;
          if (seq !== null && seq === expected && seq > previousSeq) {
            await this.recordGap(deviceId, seq, seq, item.rejected.id, item.rejected.error, nowMs);
            expected += 1;
            previousSeq = seq;
          }
          continue;
        }
        const event = item.event;
        if (event.seq <= previousSeq) {
          response.rejected.push({ id: event.id, error: `schema: seq: ${event.seq} is not above the previous event's ${previousSeq} in this batch` });
          continue;
        }
        previousSeq = event.seq;
        const verdict = await this.classify(deviceId, event, stored, expected, nowMs);
        if (verdict === 'fresh') {
          fresh.push(event);
          stored.seqs.add(event.seq);
          if (event.seq === expected) expected += 1;
        } else if (verdict === 'duplicate') {
          response.duplicates.push(event.id);
        } else if (verdict.startsWith('gap:')) {
          response.deferred.push({ id: event.id, error: verdict });
        } else {
          response.rejected.push({ id: event.id, error: verdict });
        }
      }
      await this.insert(deviceId, fresh, anchors, nowMs);
      response.accepted.push(...fresh.map((e) => e.id));
      return { ...response, expectedSeq: expected };
    });
  }

  /** 'fresh', 'duplicate', a 'gap: …' (deferred) or a 'conflict: …' / 'schema: …' rejection. */
  private async classify(deviceId: string, event: WireEvent, stored: Stored, expected: number, nowMs: number): Promise<string> {
    const byId = stored.byId.get(event.id);
    if (byId) {
      if (byId.device_id === deviceId && byId.seq === event.seq) return 'duplicate';
      await this.alarm(deviceId, 'id_conflict', event.seq, { offeredId: event.id, storedDevice: byId.device_id, storedSeq: byId.seq }, nowMs);
      return `conflict: id ${event.id} is already stored as another event`;
    }
    if (event.seq > expected) return `gap: seq ${event.seq} is ahead of the next expected seq ${expected}; send it again after the events before it`;
    if (event.seq === expected) return 'fresh';
    if (stored.seqs.has(event.seq)) {
      const holder = await this.db.get<{ id: string }>('SELECT id FROM events WHERE device_id = ? AND seq = ?', [deviceId, event.seq]);
      await this.alarm(deviceId, 'seq_conflict', event.seq, { offeredId: event.id, storedId: holder?.id ?? null }, nowMs);
      return `conflict: seq ${event.seq} already holds another event id for this device`;
    }
    const gap = await this.db.get<{ event_id: string | null; reason: string }>('SELECT event_id, reason FROM seq_gaps WHERE device_id = ? AND from_seq <= ? AND to_seq >= ?', [deviceId, event.seq, event.seq]);
    if (gap?.event_id === event.id) return gap.reason;
    if (gap) {
      await this.alarm(deviceId, 'seq_conflict', event.seq, { offeredId: event.id, skipped: gap.reason }, nowMs);
      return `conflict: seq ${event.seq} was skipped (${gap.reason.slice(0, 120)})`;
    }
    // Retention removed the events up to this seq: one of them sent again is one the hub once had.
    if (event.seq <= (await this.prunedTop(deviceId))) return 'duplicate';
    // A hole below the highest seq, left by a hub that predates the seq rule: filling it is safe.
    return 'fresh';
  }

  private async nextExpectedSeq(deviceId: string): Promise<number> {
    const events = await this.db.get<{ top: number | null }>('SELECT max(seq) AS top FROM events WHERE device_id = ?', [deviceId]);
    const gaps = await this.db.get<{ top: number | null }>('SELECT max(to_seq) AS top FROM seq_gaps WHERE device_id = ?', [deviceId]);
    return Math.max(events?.top ?? 0, gaps?.top ?? 0, await this.prunedTop(deviceId)) + 1;
  }

  private async prunedTop(deviceId: string): Promise<number> {
    const row = await this.db.get<{ top_seq: number }>('SELECT top_seq FROM pruned_seqs WHERE device_id = ?', [deviceId]);
    return row?.top_seq ?? 0;
  }

  /**
   * Deletes up to `batchSize` of the oldest events received before `cutoffMs`, in one short
   * transaction, so ingestion waits at most one batch. Each device's highest removed seq is kept in
   * pruned_seqs: the seq rule goes on from where it was, and a replay of a removed event is a
   * duplicate, not a fresh event at an old seq. (secure_delete is on: the removed rows' bytes are
   * overwritten, not left in free pages.)
   */
  prune(cutoffMs: number, batchSize: number): Promise<{ deleted: number; more: boolean }> {
    return this.db.transaction(async () => {
      const victims = 'SELECT hub_seq FROM events WHERE received_ms < ? ORDER BY hub_seq LIMIT ?';
      const tops = await this.db.all<{ device_id: string; top: number }>(
        `SELECT device_id, max(seq) AS top FROM events WHERE hub_seq IN (${victims}) GROUP BY device_id`,
        [cutoffMs, batchSize],
      );
      for (const { device_id: deviceId, top } of tops) {
        await this.db.run(
          'INSERT INTO pruned_seqs (device_id, top_seq) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET top_seq = max(top_seq, excluded.top_seq)',
          [deviceId, top],
        );
      }
      const result = await this.db.run(`DELETE FROM events WHERE hub_seq IN (${victims})`, [cutoffMs, batchSize]);
      // A full batch may have left more behind; the next step finds out (a scan for "any left" would
      // read the whole table, received_ms having no index).
      return { deleted: result.changes, more: result.changes === batchSize };
    });
  }

  private async recordGap(deviceId: string, from: number, to: number, eventId: string | null, reason: string, nowMs: number): Promise<void> {
    await this.db.run('INSERT INTO seq_gaps (device_id, from_seq, to_seq, event_id, reason, received_ms) VALUES (?, ?, ?, ?, ?, ?)', [deviceId, from, to, eventId, reason.slice(0, 300), nowMs]);
  }

  private async alarm(deviceId: string, kind: SeqAlarm['kind'], seq: number, detail: Record<string, unknown>, nowMs: number): Promise<void> {
    await this.db.run('INSERT INTO seq_alarms (device_id, kind, seq, detail, at_ms) VALUES (?, ?, ?, ?, ?)', [deviceId, kind, seq, JSON.stringify(detail), nowMs]);
  }

  async alarms(afterId: number, limit: number, deviceId?: string): Promise<SeqAlarm[]> {
    const rows = await this.db.all<{ id: number; device_id: string; kind: SeqAlarm['kind']; seq: number; detail: string; at_ms: number }>(
      `SELECT * FROM seq_alarms WHERE id > ? ${deviceId === undefined ? '' : 'AND device_id = ?'} ORDER BY id LIMIT ?`,
      deviceId === undefined ? [afterId, limit] : [afterId, deviceId, limit],
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

  private async insert(deviceId: string, fresh: WireEvent[], anchors: Map<string, ClockAnchor>, nowMs: number): Promise<void> {
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
      const part = fresh.slice(i, i + INSERT_CHUNK);
      const params = part.flatMap((event) => this.eventParams(deviceId, event, anchors.get(event.bootId) ?? null, nowMs));
      await this.db.run(`INSERT INTO events (id, device_id, seq, type, boot_id, mono_ms, time_trusted, true_ms, received_ms, body) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, params);
    }
  }

  private async storedMatches(deviceId: string, events: WireEvent[]): Promise<Stored> {
    const byId = new Map<string, { device_id: string; seq: number }>();
    const seqs = new Set<number>();
    for (let i = 0; i < events.length; i += LOOKUP_CHUNK) {
      const part = events.slice(i, i + LOOKUP_CHUNK);
      const marks = part.map(() => '?').join(', ');
      const rows = await this.db.all<{ id: string; device_id: string; seq: number }>(`SELECT id, device_id, seq FROM events WHERE id IN (${marks})`, part.map((e) => e.id));
      for (const row of rows) byId.set(row.id, row);
      const taken = await this.db.all<{ seq: number }>(`SELECT seq FROM events WHERE device_id = ? AND seq IN (${marks})`, [deviceId, ...part.map((e) => e.seq)]);
      for (const row of taken) seqs.add(row.seq);
    }
    return { byId, seqs };
  }

  private eventParams(deviceId: string, event: WireEvent, anchor: ClockAnchor | null, nowMs: number): SqlValue[] {
    const trueMs = event.timeTrusted ? event.wallMs : anchor ? Math.round(anchor.wallMs + (event.monoMs - anchor.monoMs)) : null;
    return [event.id, deviceId, event.seq, event.type, event.bootId, event.monoMs, event.timeTrusted ? 1 : 0, trueMs, nowMs, JSON.stringify(event)];
  }

  /** Every trusted event and the request's anchor pin their boot's monotonic clock to true time. */
  private async recordAnchors(deviceId: string, events: WireEvent[], anchor: ClockAnchor | null): Promise<Map<string, ClockAnchor>> {
    const latest = new Map<string, ClockAnchor>();
    for (const event of events) {
      if (event.timeTrusted) latest.set(event.bootId, { bootId: event.bootId, monoMs: event.monoMs, wallMs: event.wallMs });
    }
    if (anchor) latest.set(anchor.bootId, anchor);
    for (const a of latest.values()) {
      await this.db.run(
        'INSERT INTO clock_anchors (device_id, boot_id, mono_ms, wall_ms) VALUES (?, ?, ?, ?) ON CONFLICT (device_id, boot_id) DO UPDATE SET mono_ms = excluded.mono_ms, wall_ms = excluded.wall_ms',
        [deviceId, a.bootId, a.monoMs, a.wallMs],
      );
      await this.db.run('UPDATE events SET true_ms = CAST(? + (mono_ms - ?) AS INTEGER) WHERE device_id = ? AND boot_id = ? AND true_ms IS NULL', [a.wallMs, a.monoMs, deviceId, a.bootId]);
    }
    const bootsWithout = [...new Set(events.filter((e) => !e.timeTrusted && !latest.has(e.bootId)).map((e) => e.bootId))];
    for (const bootId of bootsWithout) {
      const row = await this.db.get<{ mono_ms: number; wall_ms: number }>('SELECT mono_ms, wall_ms FROM clock_anchors WHERE device_id = ? AND boot_id = ?', [deviceId, bootId]);
      if (row) latest.set(bootId, { bootId, monoMs: row.mono_ms, wallMs: row.wall_ms });
    }
    return latest;
  }

  /**
   * Events after `afterHubSeq`. A row that cannot be handed out (unparsable, or failing today's wire
   * schema) is skipped and reported, and paging still moves past it: one bad row never stops a consumer.
   */
  async read(afterHubSeq: number, limit: number, deviceId?: string): Promise<EventReadResult> {
    const rows = deviceId
      ? await this.db.all<EventRow>('SELECT hub_seq, device_id, received_ms, true_ms, time_trusted, body FROM events WHERE hub_seq > ? AND device_id = ? ORDER BY hub_seq LIMIT ?', [afterHubSeq, deviceId, limit])
      : await this.db.all<EventRow>('SELECT hub_seq, device_id, received_ms, true_ms, time_trusted, body FROM events WHERE hub_seq > ? ORDER BY hub_seq LIMIT ?', [afterHubSeq, limit]);
    const result: EventReadResult = { events: [], skipped: [], lastHubSeq: rows.at(-1)?.hub_seq ?? null, more: rows.length === limit };
    for (const row of rows) {
      const read = readRow(row);
      if ('error' in read) result.skipped.push({ hubSeq: row.hub_seq, deviceId: row.device_id, error: read.error });
      else result.events.push(read);
    }
    return result;
  }
}
