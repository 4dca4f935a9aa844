// Stored rows as the hub hands them out, shared by both storages (SQLite and PostgreSQL keep the
// same columns): reading one never throws, whatever is stored.
import type { CommandAck, HubCommand, RosterEntityType, WireRosterChange } from '../protocol/index.js';
import { MAX_WALL_MS, wireEventSchema } from '../protocol/index.js';
import type { CommandRecord, HubEvent, RosterPageResult } from './storage.js';

export interface EventRow {
  hub_seq: number;
  device_id: string;
  received_ms: number;
  true_ms: number | null;
  time_trusted: number;
  body: string;
}

/** ISO time of `ms`, or null when a stored value is not a time a Date can hold. */
export function isoOrNull(ms: unknown): string | null {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= MAX_WALL_MS ? new Date(ms).toISOString() : null;
}

/** One stored row as the read API hands it out, or why it cannot be. */
export function readRow(row: EventRow): HubEvent | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch {
    return { error: 'stored body is not JSON' };
  }
  const parsed = wireEventSchema.safeParse(body);
  if (!parsed.success) return { error: `stored event fails the wire schema: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim() };
  const receivedAt = isoOrNull(row.received_ms) ?? new Date(0).toISOString();
  const trueAt = isoOrNull(row.true_ms);
  return { hubSeq: row.hub_seq, deviceId: row.device_id, receivedAt, trueAt, timeSource: trueAt === null ? 'unknown' : row.time_trusted === 1 ? 'device' : 'reanchored', event: parsed.data };
}

export interface RosterDbRow {
  cursor: number;
  type: RosterEntityType;
  entity_id: string;
  op: 'upsert' | 'delete';
  data: string | null;
}
export interface CommandRow {
  id: string;
  device_id: string;
  kind: HubCommand['kind'];
  args: string;
  created_at: string;
  expires_at: string | null;
  state: 'pending' | 'acked';
  ack: string | null;
}

export function personIdOf(change: WireRosterChange): string | null {
  if (change.op === 'delete') return change.type === 'person' ? change.id : null;
  if (change.type === 'person') return change.data.id;
  if (change.type === 'credential' || change.type === 'template') return change.data.personId;
  return null;
}

export function rowToChange(row: RosterDbRow): WireRosterChange {
  if (row.op === 'delete') return { op: 'delete', type: row.type, id: row.entity_id };
  return { op: 'upsert', type: row.type, data: JSON.parse(row.data ?? 'null') as unknown } as WireRosterChange;
}

export function rowToCommand(row: CommandRow): HubCommand {
  return { id: row.id, kind: row.kind, args: JSON.parse(row.args) as Record<string, unknown>, createdAt: row.created_at, expiresAt: row.expires_at };
}

export function rowToCommandRecord(row: CommandRow): CommandRecord {
  return { ...rowToCommand(row), deviceId: row.device_id, state: row.state, ack: row.ack === null ? null : (JSON.parse(row.ack) as CommandAck) };
}

/** A roster page read in one statement, with the horizon and top cursor of the same snapshot. */
export interface RosterPageRow {
  top: number | null;
  horizon: string | null;
  cursor: number | null;
  type: RosterEntityType;
  entity_id: string;
  op: 'upsert' | 'delete';
  data: string | null;
}

/**
 * One statement, so one snapshot on either database: read separately, a roster write or a
 * compaction committing between the reads could lift the cursor past changes this page does not
 * hold, or drop tombstones after the horizon check. `marks` are the two placeholders (from, limit).
 */
export function rosterPageSql(full: boolean, marks: [string, string]): string {
  return `WITH snapshot AS (SELECT (SELECT MAX(cursor) FROM roster) AS top, (SELECT value FROM meta WHERE key = 'roster_horizon') AS horizon)
    SELECT s.top, s.horizon, r.cursor, r.type, r.entity_id, r.op, r.data FROM snapshot s
    LEFT JOIN (SELECT cursor, type, entity_id, op, data FROM roster WHERE cursor > ${marks[0]} ${full ? "AND op = 'upsert'" : ''} ORDER BY cursor LIMIT ${marks[1]}) r ON TRUE
    ORDER BY r.cursor`;
}

/**
 * The page from rosterPageSql's rows, opened by `open` (the storage's RosterSealer); null when
 * `since` is older than the compaction horizon (410).
 */
export async function rosterPageFrom(rows: RosterPageRow[], since: number | null, limit: number, full: boolean, open: (rows: RosterDbRow[]) => Promise<WireRosterChange[]>): Promise<RosterPageResult | null> {
  const horizon = Number(rows[0]?.horizon ?? 0);
  // A full pull needs no tombstones (the device replaces everything at its end), so the horizon
  // does not apply to it; an incremental cursor older than the horizon has missed tombstones.
  if (!full && since !== null && since < horizon) return null;
  const from = since ?? 0;
  const changes = rows.filter((row): row is RosterPageRow & { cursor: number } => row.cursor !== null);
  const more = changes.length > limit;
  const page = changes.slice(0, limit);
  let cursor = page.at(-1)?.cursor ?? from;
  if (!more) cursor = Math.max(cursor, rows[0]?.top ?? 0, from);
  return { changes: await open(page), cursor, more };
}
