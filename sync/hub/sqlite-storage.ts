// HubStorage on SQLite. The roster table is both the current state and the change log: an upsert
// deletes the entity's previous row and inserts a new one, so its AUTOINCREMENT cursor only grows and
// a pull from any cursor returns each entity at most once, in its latest form.
import type { ClockAnchor, CommandAck, HubCommand, PushResponse, RosterEntityType, WireEvent, WireRosterChange } from '../client/wire.js';
import { rosterEntityId } from '../client/wire.js';
import { HubDb, type SqlValue } from './db.js';
import type { CommandRecord, DeviceRecord, HubEvent, HubStorage, IngestRejection, RosterPageResult } from './storage.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, name TEXT, token_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  hub_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  mono_ms REAL NOT NULL,
  time_trusted INTEGER NOT NULL,
  true_ms INTEGER,
  received_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  UNIQUE (device_id, seq));
CREATE INDEX IF NOT EXISTS events_unanchored ON events (device_id, boot_id) WHERE true_ms IS NULL;
CREATE TABLE IF NOT EXISTS clock_anchors (
  device_id TEXT NOT NULL, boot_id TEXT NOT NULL, mono_ms REAL NOT NULL, wall_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, boot_id));
CREATE TABLE IF NOT EXISTS roster (
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL, entity_id TEXT NOT NULL, person_id TEXT, op TEXT NOT NULL, data TEXT,
  UNIQUE (type, entity_id));
CREATE INDEX IF NOT EXISTS roster_person ON roster (person_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
  id TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, args TEXT NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT, expires_ms INTEGER, state TEXT NOT NULL, ack TEXT, acked_ms INTEGER);
CREATE INDEX IF NOT EXISTS commands_pending ON commands (device_id, state);
`;

/** Rows per multi-row INSERT (10 parameters each) and ids per IN (...) lookup. */
const INSERT_CHUNK = 50;
const LOOKUP_CHUNK = 500;

interface EventRow {
  hub_seq: number;
  device_id: string;
  received_ms: number;
  true_ms: number | null;
  time_trusted: number;
  body: string;
}
interface RosterDbRow {
  cursor: number;
  type: RosterEntityType;
  entity_id: string;
  op: 'upsert' | 'delete';
  data: string | null;
}
interface CommandRow {
  id: string;
  device_id: string;
  kind: HubCommand['kind'];
  args: string;
  created_at: string;
  expires_at: string | null;
  state: 'pending' | 'acked';
  ack: string | null;
}

function personIdOf(change: WireRosterChange): string | null {
  if (change.op === 'delete') return change.type === 'person' ? change.id : null;
  if (change.type === 'person') return change.data.id;
  if (change.type === 'credential' || change.type === 'template') return change.data.personId;
  return null;
}

function rowToChange(row: RosterDbRow): WireRosterChange {
  if (row.op === 'delete') return { op: 'delete', type: row.type, id: row.entity_id };
  return { op: 'upsert', type: row.type, data: JSON.parse(row.data ?? 'null') as unknown } as WireRosterChange;
}

function rowToCommand(row: CommandRow): HubCommand {
  return { id: row.id, kind: row.kind, args: JSON.parse(row.args) as Record<string, unknown>, createdAt: row.created_at, expiresAt: row.expires_at };
}

export class SqliteHubStorage implements HubStorage {
  private constructor(private readonly db: HubDb) {}

  static async open(file: string): Promise<SqliteHubStorage> {
    const storage = new SqliteHubStorage(await HubDb.open(file));
    await storage.migrate();
    return storage;
  }

  async migrate(): Promise<void> {
    await this.db.exec(SCHEMA);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async addDevice(id: string, name: string | null, tokenHash: string): Promise<boolean> {
    const result = await this.db.run('INSERT INTO devices (id, name, token_hash, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [id, name, tokenHash, Date.now()]);
    return result.changes === 1;
  }

  async setDeviceToken(id: string, tokenHash: string): Promise<boolean> {
    return (await this.db.run('UPDATE devices SET token_hash = ? WHERE id = ?', [tokenHash, id])).changes === 1;
  }

  async device(id: string): Promise<DeviceRecord | null> {
    const row = await this.db.get<{ id: string; name: string | null; token_hash: string; disabled: number }>('SELECT * FROM devices WHERE id = ?', [id]);
    return row ? { id: row.id, name: row.name, tokenHash: row.token_hash, disabled: row.disabled === 1 } : null;
  }

  async listDevices(): Promise<Array<Omit<DeviceRecord, 'tokenHash'>>> {
    const rows = await this.db.all<{ id: string; name: string | null; disabled: number }>('SELECT id, name, disabled FROM devices ORDER BY id');
    return rows.map((r) => ({ id: r.id, name: r.name, disabled: r.disabled === 1 }));
  }

  ingest(deviceId: string, events: WireEvent[], rejected: IngestRejection[], anchor: ClockAnchor | null, nowMs: number): Promise<PushResponse> {
    return this.db.transaction(async () => {
      const response: PushResponse = { accepted: [], duplicates: [], rejected: [...rejected] };
      const anchors = await this.recordAnchors(deviceId, events, anchor);
      const fresh: WireEvent[] = [];
      // Classify against what is stored with two set lookups, then insert the new ones in a few
      // multi-row statements: the transaction holds the only writer, so nothing changes between.
      const known = await this.storedMatches(deviceId, events);
      for (const event of events) {
        const byId = known.byId.get(event.id);
        if (byId) {
          if (byId.device_id === deviceId && byId.seq === event.seq) response.duplicates.push(event.id);
          else response.rejected.push({ id: event.id, error: `conflict: id ${event.id} is already stored as another event` });
        } else if (known.seqs.has(event.seq)) {
          response.rejected.push({ id: event.id, error: `conflict: seq ${event.seq} already holds another event id for this device` });
        } else {
          // A seq repeated within this batch would otherwise break the UNIQUE insert (a 500).
          known.seqs.add(event.seq);
          fresh.push(event);
        }
      }
      for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
        const part = fresh.slice(i, i + INSERT_CHUNK);
        const params = part.flatMap((event) => this.eventParams(deviceId, event, anchors.get(event.bootId) ?? null, nowMs));
        await this.db.run(`INSERT INTO events (id, device_id, seq, type, boot_id, mono_ms, time_trusted, true_ms, received_ms, body) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, params);
        response.accepted.push(...part.map((e) => e.id));
      }
      return response;
    });
  }

  private async storedMatches(deviceId: string, events: WireEvent[]): Promise<{ byId: Map<string, { device_id: string; seq: number }>; seqs: Set<number> }> {
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

  async readEvents(afterHubSeq: number, limit: number, deviceId?: string): Promise<HubEvent[]> {
    const rows = deviceId
      ? await this.db.all<EventRow>('SELECT * FROM events WHERE hub_seq > ? AND device_id = ? ORDER BY hub_seq LIMIT ?', [afterHubSeq, deviceId, limit])
      : await this.db.all<EventRow>('SELECT * FROM events WHERE hub_seq > ? ORDER BY hub_seq LIMIT ?', [afterHubSeq, limit]);
    return rows.map((row) => ({
      hubSeq: row.hub_seq,
      deviceId: row.device_id,
      receivedAt: new Date(row.received_ms).toISOString(),
      trueAt: row.true_ms === null ? null : new Date(row.true_ms).toISOString(),
      timeSource: row.true_ms === null ? 'unknown' : row.time_trusted === 1 ? 'device' : 'reanchored',
      event: JSON.parse(row.body) as WireEvent,
    }));
  }

  async applyRoster(changes: readonly WireRosterChange[]): Promise<number> {
    const cursor = await this.db.transaction(async () => {
      let erased = false;
      for (const change of changes) erased = (await this.applyOne(change)) || erased;
      const row = await this.db.get<{ c: number | null }>('SELECT MAX(cursor) AS c FROM roster');
      return { cursor: row?.c ?? 0, erased };
    });
    // secure_delete zeroes the freed bytes in the database pages, but the WAL still holds the
    // pages as they were: an erasure is only done once the WAL is checkpointed and truncated.
    if (cursor.erased) await this.db.checkpoint();
    return cursor.cursor;
  }

  /** Applies one change; true when it erased something (the caller then checkpoints the WAL). */
  private async applyOne(change: WireRosterChange): Promise<boolean> {
    const entityId = rosterEntityId(change);
    if (change.op === 'delete') {
      // Erasure: a person's credentials and templates go with it, from the log as well as the state.
      if (change.type === 'person') await this.db.run('DELETE FROM roster WHERE person_id = ?', [entityId]);
      await this.db.run('DELETE FROM roster WHERE type = ? AND entity_id = ?', [change.type, entityId]);
      await this.db.run('INSERT INTO roster (type, entity_id, person_id, op, data) VALUES (?, ?, ?, ?, NULL)', [change.type, entityId, personIdOf(change), 'delete']);
      return true;
    }
    const previous = await this.db.get<RosterDbRow>('SELECT * FROM roster WHERE type = ? AND entity_id = ?', [change.type, entityId]);
    await this.db.run('DELETE FROM roster WHERE type = ? AND entity_id = ?', [change.type, entityId]);
    await this.db.run('INSERT INTO roster (type, entity_id, person_id, op, data) VALUES (?, ?, ?, ?, ?)', [change.type, entityId, personIdOf(change), 'upsert', JSON.stringify(change.data)]);
    if (change.type === 'person' && previous?.op === 'upsert' && change.data.status !== 'blocked') {
      const before = rowToChange(previous);
      // A blocked person's credentials and templates were purged on the devices: send them again.
      if (before.op === 'upsert' && before.type === 'person' && before.data.status === 'blocked') await this.reemitDependants(entityId);
    }
    if (change.type === 'person' && !change.data.biometricConsent) return this.eraseTemplatesOf(entityId);
    return false;
  }

  /**
   * Consent to biometric processing withdrawn: the hub erases the person's templates as the devices
   * do, leaving tombstones so every device deletes them too. Consent given again means enrolling
   * again; nothing biometric is kept "in case".
   */
  private async eraseTemplatesOf(personId: string): Promise<boolean> {
    const rows = await this.db.all<{ entity_id: string }>("SELECT entity_id FROM roster WHERE person_id = ? AND type = 'template' AND op = 'upsert'", [personId]);
    for (const row of rows) {
      await this.db.run("DELETE FROM roster WHERE type = 'template' AND entity_id = ?", [row.entity_id]);
      await this.db.run("INSERT INTO roster (type, entity_id, person_id, op, data) VALUES ('template', ?, ?, 'delete', NULL)", [row.entity_id, personId]);
    }
    return rows.length > 0;
  }

  private async reemitDependants(personId: string): Promise<void> {
    const rows = await this.db.all<RosterDbRow & { person_id: string }>("SELECT * FROM roster WHERE person_id = ? AND type != 'person' ORDER BY cursor", [personId]);
    for (const row of rows) {
      await this.db.run('DELETE FROM roster WHERE cursor = ?', [row.cursor]);
      await this.db.run('INSERT INTO roster (type, entity_id, person_id, op, data) VALUES (?, ?, ?, ?, ?)', [row.type, row.entity_id, row.person_id, row.op, row.data]);
    }
  }

  async rosterPage(since: number | null, limit: number, full: boolean): Promise<RosterPageResult | null> {
    const horizon = Number((await this.db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'roster_horizon'"))?.value ?? 0);
    // A full pull needs no tombstones (the device replaces everything at its end), so the horizon
    // does not apply to it; an incremental cursor older than the horizon has missed tombstones.
    if (!full && since !== null && since < horizon) return null;
    const from = since ?? 0;
    const rows = await this.db.all<RosterDbRow>(
      `SELECT cursor, type, entity_id, op, data FROM roster WHERE cursor > ? ${full ? "AND op = 'upsert'" : ''} ORDER BY cursor LIMIT ?`,
      [from, limit + 1],
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    let cursor = page.at(-1)?.cursor ?? from;
    if (!more) cursor = Math.max(cursor, (await this.db.get<{ c: number | null }>('SELECT MAX(cursor) AS c FROM roster'))?.c ?? 0, from);
    return { changes: page.map(rowToChange), cursor, more };
  }

  async rosterEntity(type: RosterEntityType, id: string): Promise<WireRosterChange | null> {
    const row = await this.db.get<RosterDbRow>('SELECT * FROM roster WHERE type = ? AND entity_id = ?', [type, id]);
    return row ? rowToChange(row) : null;
  }

  async listGroups(): Promise<Array<{ group: string; people: number }>> {
    return this.db.all<{ group: string; people: number }>(
      `SELECT json_extract(data, '$.group') AS "group", COUNT(*) AS people FROM roster
       WHERE type = 'person' AND op = 'upsert' AND json_extract(data, '$.group') IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
  }

  compactRoster(): Promise<number> {
    return this.db.transaction(async () => {
      const row = await this.db.get<{ c: number | null }>("SELECT MAX(cursor) AS c FROM roster WHERE op = 'delete'");
      const horizon = row?.c ?? 0;
      if (horizon === 0) return 0;
      await this.db.run("DELETE FROM roster WHERE op = 'delete' AND cursor <= ?", [horizon]);
      await this.db.run("INSERT INTO meta (key, value) VALUES ('roster_horizon', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(horizon)]);
      return horizon;
    });
  }

  async addCommand(deviceId: string, command: HubCommand): Promise<void> {
    await this.db.run('INSERT INTO commands (id, device_id, kind, args, created_at, expires_at, expires_ms, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      command.id,
      deviceId,
      command.kind,
      JSON.stringify(command.args),
      command.createdAt,
      command.expiresAt,
      command.expiresAt === null ? null : Date.parse(command.expiresAt),
      'pending',
    ]);
  }

  async pendingCommands(deviceId: string, nowMs: number): Promise<HubCommand[]> {
    const rows = await this.db.all<CommandRow>(
      "SELECT * FROM commands WHERE device_id = ? AND state = 'pending' AND (expires_ms IS NULL OR expires_ms > ?) ORDER BY created_at, id LIMIT 100",
      [deviceId, nowMs],
    );
    return rows.map(rowToCommand);
  }

  async ackCommand(deviceId: string, commandId: string, ack: CommandAck, nowMs: number): Promise<boolean> {
    const existing = await this.db.get<CommandRow>('SELECT * FROM commands WHERE id = ? AND device_id = ?', [commandId, deviceId]);
    if (!existing) return false;
    if (existing.state === 'pending') {
      await this.db.run("UPDATE commands SET state = 'acked', ack = ?, acked_ms = ? WHERE id = ?", [JSON.stringify(ack), nowMs, commandId]);
    }
    return true;
  }

  async command(deviceId: string, commandId: string): Promise<CommandRecord | null> {
    const row = await this.db.get<CommandRow>('SELECT * FROM commands WHERE id = ? AND device_id = ?', [commandId, deviceId]);
    if (!row) return null;
    return { ...rowToCommand(row), deviceId: row.device_id, state: row.state, ack: row.ack === null ? null : (JSON.parse(row.ack) as CommandAck) };
  }
}
