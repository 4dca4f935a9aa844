// HubStorage on SQLite. The roster table is both the current state and the change log: an upsert
// deletes the entity's previous row and inserts a new one, so its AUTOINCREMENT cursor only grows and
// a pull from any cursor returns each entity at most once, in its latest form.
import type { ClockAnchor, CommandAck, HubCommand, PushResponse, RosterEntityType, SeqSkip, WireRosterChange } from '../protocol/index.js';
import { rosterEntityId } from '../protocol/index.js';
import { HubDb } from './db.js';
import { keyStoreBeside, openPersonKeys, RosterSealer, type PersonKeyStore } from './keys/index.js';
import { EVENT_SCHEMA, SqliteEventLog } from './sqlite-events.js';
import type { CommandRecord, DeviceRecord, EventReadResult, HubStorage, IngestItem, RetentionStep, RosterPageResult, SeqAlarm } from './storage.js';
import { personIdOf, rowToChange, rowToCommand, rowToCommandRecord, rosterPageFrom, rosterPageSql, type CommandRow, type RosterDbRow, type RosterPageRow } from './stored-rows.js';

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
${EVENT_SCHEMA}`;

export class SqliteHubStorage implements HubStorage {
  private readonly events: SqliteEventLog;

  private constructor(private readonly db: HubDb, private readonly sealer: RosterSealer) {
    this.events = new SqliteEventLog(db);
  }

  /** The hub's database, for the console's tables beside the hub's own (hub/console). */
  get database(): HubDb {
    return this.db;
  }

  /** Opens (and migrates) the hub at `file`; person keys from `keys`, by default the store beside it (hub/keys). */
  static async open(file: string, keys?: PersonKeyStore): Promise<SqliteHubStorage> {
    const sealer = new RosterSealer(keys ?? (await openPersonKeys(keyStoreBeside(file))));
    const db = await HubDb.open(file).catch(async (error: unknown) => {
      await sealer.close();
      throw error;
    });
    const storage = new SqliteHubStorage(db, sealer);
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      throw error;
    }
    return storage;
  }

  async migrate(): Promise<void> {
    await this.db.exec(SCHEMA);
    await this.bindKeyStore();
    await this.sealClearRows();
  }

  /**
   * The database remembers the key store that sealed it: opened with another (a wrong path, a lost
   * file), every name would read as erased, so the hub refuses to start instead.
   */
  private async bindKeyStore(): Promise<void> {
    const identity = await this.sealer.identity();
    await this.db.run("INSERT INTO meta (key, value) VALUES ('person_key_store', ?) ON CONFLICT DO NOTHING", [identity]);
    const bound = await this.db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'person_key_store'");
    if (bound?.value !== identity) throw new Error(`this hub database was sealed with person key store ${bound?.value ?? '?'}, not ${identity}: refusing to start (docs/hub.md)`);
  }

  /** Rows an older hub stored in clear are sealed in place, under the same cursor (nothing to pull). */
  private async sealClearRows(): Promise<void> {
    const rows = await this.db.all<RosterDbRow>("SELECT * FROM roster WHERE op = 'upsert' AND type IN ('person', 'template') AND json_extract(data, '$.sealed') IS NULL");
    const clear = rows.filter((row) => RosterSealer.isClear(row));
    if (clear.length === 0) return;
    const sealed = await this.sealer.seal(clear.map(rowToChange));
    await this.db.transaction(async () => {
      for (const [i, row] of clear.entries()) await this.db.run('UPDATE roster SET data = ? WHERE cursor = ? AND data = ?', [sealed[i] ?? null, row.cursor, row.data]);
    });
    await this.db.checkpoint();
  }

  async close(): Promise<void> {
    await this.db.close();
    await this.sealer.close();
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

  ingest(deviceId: string, items: readonly IngestItem[], anchor: ClockAnchor | null, skip: SeqSkip | null, nowMs: number): Promise<PushResponse> {
    return this.events.ingest(deviceId, items, anchor, skip, nowMs);
  }

  readEvents(afterHubSeq: number, limit: number, deviceId?: string): Promise<EventReadResult> {
    return this.db.committed(() => this.events.read(afterHubSeq, limit, deviceId));
  }

  seqAlarms(afterId: number, limit: number, deviceId?: string): Promise<SeqAlarm[]> {
    return this.db.committed(() => this.events.alarms(afterId, limit, deviceId));
  }

  async pruneEventsBefore(cutoffMs: number, batchSize: number): Promise<RetentionStep> {
    const step = await this.events.prune(cutoffMs, batchSize);
    // As for an erasure: the removed rows are gone from the file only once the WAL is truncated.
    if (!step.more) await this.db.checkpoint();
    return { ...step, droppedPartitions: [] };
  }

  async consumerCursor(name: string): Promise<number> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [`cursor:${name}`]);
    return row ? Number(row.value) : 0;
  }

  advanceConsumerCursor(name: string, from: number, to: number): Promise<boolean> {
    return this.db.transaction(async () => {
      if ((await this.consumerCursor(name)) !== from) return false;
      await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [`cursor:${name}`, String(to)]);
      return true;
    });
  }

  async applyRoster(changes: readonly WireRosterChange[]): Promise<number> {
    const data = await this.sealer.seal(changes);
    const cursor = await this.db.transaction(async () => {
      let erased = false;
      for (const [i, change] of changes.entries()) erased = (await this.applyOne(change, data[i] ?? null)) || erased;
      const row = await this.db.get<{ c: number | null }>('SELECT MAX(cursor) AS c FROM roster');
      return { cursor: row?.c ?? 0, erased };
    });
    // secure_delete zeroes the freed bytes in the database pages, but the WAL still holds the
    // pages as they were: an erasure is only done once the WAL is checkpointed and truncated.
    if (cursor.erased) await this.db.checkpoint();
    // Crypto-shredding: with the person's key gone, no copy of their sealed rows opens again.
    for (const change of changes) if (change.op === 'delete' && change.type === 'person') await this.sealer.destroy(change.id);
    return cursor.cursor;
  }

  /** Applies one change; true when it erased something (the caller then checkpoints the WAL). */
  private async applyOne(change: WireRosterChange, data: string | null): Promise<boolean> {
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
    await this.db.run('INSERT INTO roster (type, entity_id, person_id, op, data) VALUES (?, ?, ?, ?, ?)', [change.type, entityId, personIdOf(change), 'upsert', data]);
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
    const rows = await this.db.committed(() => this.db.all<RosterPageRow>(rosterPageSql(full, ['?', '?']), [since ?? 0, limit + 1]));
    return rosterPageFrom(rows, since, limit, full, (page) => this.sealer.open(page));
  }

  async rosterEntity(type: RosterEntityType, id: string): Promise<WireRosterChange | null> {
    const row = await this.db.get<RosterDbRow>('SELECT * FROM roster WHERE type = ? AND entity_id = ?', [type, id]);
    return row ? ((await this.sealer.open([row]))[0] ?? null) : null;
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
    return rowToCommandRecord(row);
  }
}
