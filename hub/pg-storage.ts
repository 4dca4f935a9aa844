// HubStorage on PostgreSQL, for a district: several hub processes against one database, selected
// by a postgres:// URL (open-storage.ts). Same contract and same rows as the SQLite storage
// (sqlite-storage.ts); the concurrency notes for events are in pg-events.ts.
//
// Roster cursors: the roster table is both state and change log (an upsert deletes the entity's row
// and inserts it again under a new cursor). Devices page by cursor, so a cursor must never commit
// after a higher one was visible: every roster write (applyRoster, compactRoster) first locks the
// 'roster' counter row and holds it to COMMIT, so roster writers run one at a time and cursors
// become visible in order. Admin edits are rare; this costs nothing that matters.
import type { ClockAnchor, CommandAck, HubCommand, PushResponse, RosterEntityType, SeqSkip, WireRosterChange } from '../protocol/index.js';
import { rosterEntityId } from '../protocol/index.js';
import { defaultKeyStoreForUrl, openPersonKeys, RosterSealer, type PersonKeyStore } from './keys/index.js';
import { PgDb, type PgLogger, type PgQueryable } from './pg-db.js';
import { PgEventLog } from './pg-events.js';
import { dropMonth, monthsBefore } from './pg-retention.js';
import { ensureMonthPartition, migrate } from './pg-schema.js';
import type { CommandRecord, DeviceRecord, EventReadResult, HubStorage, IngestItem, RetentionStep, RosterPageResult, SeqAlarm } from './storage.js';
import { personIdOf, rowToChange, rowToCommand, rowToCommandRecord, rosterPageFrom, rosterPageSql, type CommandRow, type RosterDbRow, type RosterPageRow } from './stored-rows.js';

const INSERT_ROSTER = 'INSERT INTO roster (type, entity_id, person_id, op, data) VALUES ($1, $2, $3, $4, $5)';

export class PgHubStorage implements HubStorage {
  private readonly events: PgEventLog;

  private constructor(private readonly db: PgDb, private readonly sealer: RosterSealer) {
    this.events = new PgEventLog(db);
  }

  /** The hub's database, for the console's tables beside the hub's own (hub/console). */
  get database(): PgDb {
    return this.db;
  }

  /**
   * Connects, applies missing migrations, and makes this month's and next month's event partitions.
   * Person keys come from `keys`, never from PostgreSQL; by default a key store file for this
   * server and database under the user's state folder (hub/keys).
   */
  static async open(url: string, logger: PgLogger, maxConnections?: number, keys?: PersonKeyStore): Promise<PgHubStorage> {
    const sealer = new RosterSealer(keys ?? (await openPersonKeys(defaultKeyStoreForUrl(url))));
    const storage = new PgHubStorage(PgDb.open(url, logger, maxConnections), sealer);
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      throw error;
    }
    return storage;
  }

  async migrate(): Promise<void> {
    await migrate(this.db);
    const now = Date.now();
    await ensureMonthPartition(this.db, now);
    await ensureMonthPartition(this.db, now + 31 * 24 * 3600 * 1000);
    await this.bindKeyStore();
    await this.sealClearRows();
  }

  /** As on SQLite: a database sealed with another key store would read every name as erased. */
  private async bindKeyStore(): Promise<void> {
    const identity = await this.sealer.identity();
    await this.db.query("INSERT INTO meta (key, value) VALUES ('person_key_store', $1) ON CONFLICT DO NOTHING", [identity]);
    const bound = (await this.db.query<{ value: string }>("SELECT value FROM meta WHERE key = 'person_key_store'"))[0];
    if (bound?.value !== identity) throw new Error(`this hub database was sealed with person key store ${bound?.value ?? '?'}, not ${identity}: refusing to start (docs/hub.md)`);
  }

  /**
   * Rows an older hub stored in clear are sealed in place, under the same cursor. Their clear past
   * stays in the WAL segments and backups taken before: only rows sealed from the start are
   * erased by destroying a key (docs/data-subject-requests.md).
   */
  private async sealClearRows(): Promise<void> {
    const rows = await this.db.query<RosterDbRow>("SELECT * FROM roster WHERE op = 'upsert' AND type IN ('person', 'template') AND NOT (data::jsonb ? 'sealed')");
    const clear = rows.filter((row) => RosterSealer.isClear(row));
    if (clear.length === 0) return;
    const sealed = await this.sealer.seal(clear.map(rowToChange));
    await this.db.transaction(async (tx) => {
      for (const [i, row] of clear.entries()) await tx.query('UPDATE roster SET data = $1 WHERE cursor = $2 AND data = $3', [sealed[i] ?? null, row.cursor, row.data]);
    });
  }

  async close(): Promise<void> {
    await this.db.close();
    await this.sealer.close();
  }

  /** Drops at most `batchSize` whole month partitions before the cutoff (pg-retention.ts). */
  async pruneEventsBefore(cutoffMs: number, batchSize: number): Promise<RetentionStep> {
    const months = await monthsBefore(this.db, cutoffMs);
    const droppedPartitions: string[] = [];
    let deleted = 0;
    for (const name of months.slice(0, Math.max(1, batchSize))) {
      const rows = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
      if (!(await dropMonth(this.db, name))) return { deleted, more: true, droppedPartitions };
      this.events.forgetPartition(name);
      droppedPartitions.push(name);
      deleted += Number(rows[0]?.n ?? 0);
    }
    return { deleted, more: months.length > droppedPartitions.length, droppedPartitions };
  }

  async addDevice(id: string, name: string | null, tokenHash: string): Promise<boolean> {
    const rows = await this.db.query('INSERT INTO devices (id, name, token_hash, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id', [id, name, tokenHash, Date.now()]);
    return rows.length === 1;
  }

  async setDeviceToken(id: string, tokenHash: string): Promise<boolean> {
    return (await this.db.query('UPDATE devices SET token_hash = $1 WHERE id = $2 RETURNING id', [tokenHash, id])).length === 1;
  }

  async device(id: string): Promise<DeviceRecord | null> {
    const rows = await this.db.query<{ id: string; name: string | null; token_hash: string; disabled: boolean }>('SELECT * FROM devices WHERE id = $1', [id]);
    const row = rows[0];
    return row ? { id: row.id, name: row.name, tokenHash: row.token_hash, disabled: row.disabled } : null;
  }

  async listDevices(): Promise<Array<Omit<DeviceRecord, 'tokenHash'>>> {
    const rows = await this.db.query<{ id: string; name: string | null; disabled: boolean }>('SELECT id, name, disabled FROM devices ORDER BY id');
    return rows.map((r) => ({ id: r.id, name: r.name, disabled: r.disabled }));
  }

  ingest(deviceId: string, items: readonly IngestItem[], anchor: ClockAnchor | null, skip: SeqSkip | null, nowMs: number): Promise<PushResponse> {
    return this.events.ingest(deviceId, items, anchor, skip, nowMs);
  }

  readEvents(afterHubSeq: number, limit: number, deviceId?: string): Promise<EventReadResult> {
    return this.events.read(afterHubSeq, limit, deviceId);
  }

  seqAlarms(afterId: number, limit: number, deviceId?: string): Promise<SeqAlarm[]> {
    return this.events.alarms(afterId, limit, deviceId);
  }

  async applyRoster(changes: readonly WireRosterChange[]): Promise<number> {
    const data = await this.sealer.seal(changes);
    const cursor = await this.db.transaction(async (tx) => {
      await tx.query("SELECT value FROM hub_counters WHERE name = 'roster' FOR UPDATE");
      for (const [i, change] of changes.entries()) await this.applyOne(tx, change, data[i] ?? null);
      return maxCursor(tx);
    });
    // Crypto-shredding: the sealed rows' old versions in the WAL, replicas and backups stay, unreadable.
    for (const change of changes) if (change.op === 'delete' && change.type === 'person') await this.sealer.destroy(change.id);
    return cursor;
  }

  private async applyOne(tx: PgQueryable, change: WireRosterChange, data: string | null): Promise<void> {
    const entityId = rosterEntityId(change);
    if (change.op === 'delete') {
      // Erasure: a person's credentials and templates go with it, from the log as well as the state.
      if (change.type === 'person') await tx.query('DELETE FROM roster WHERE person_id = $1', [entityId]);
      await tx.query('DELETE FROM roster WHERE type = $1 AND entity_id = $2', [change.type, entityId]);
      await tx.query(INSERT_ROSTER, [change.type, entityId, personIdOf(change), 'delete', null]);
      return;
    }
    const previous = (await tx.query<RosterDbRow>('DELETE FROM roster WHERE type = $1 AND entity_id = $2 RETURNING *', [change.type, entityId]))[0];
    await tx.query(INSERT_ROSTER, [change.type, entityId, personIdOf(change), 'upsert', data]);
    if (change.type === 'person' && previous?.op === 'upsert' && change.data.status !== 'blocked') {
      const before = rowToChange(previous);
      // A blocked person's credentials and templates were purged on the devices: send them again.
      if (before.op === 'upsert' && before.type === 'person' && before.data.status === 'blocked') await reemitDependants(tx, entityId);
    }
    // Consent to biometric processing withdrawn: erase the templates, leaving tombstones for the devices.
    if (change.type === 'person' && !change.data.biometricConsent) await eraseTemplatesOf(tx, entityId);
  }

  async consumerCursor(name: string): Promise<number> {
    const rows = await this.db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [`cursor:${name}`]);
    return rows[0] ? Number(rows[0].value) : 0;
  }

  async advanceConsumerCursor(name: string, from: number, to: number): Promise<boolean> {
    const key = `cursor:${name}`;
    // The first move inserts the row; later moves update it only from the value the caller read.
    const rows = await this.db.query<{ key: string }>(
      `INSERT INTO meta (key, value) VALUES ($1, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value
        WHERE meta.value = $2 RETURNING key`,
      [key, String(from), String(to)],
    );
    // Two processes moving from the same value: the second's upsert waits for the first's commit and
    // then finds the value changed, so exactly one returns a row.
    return rows.length === 1;
  }

  async rosterPage(since: number | null, limit: number, full: boolean): Promise<RosterPageResult | null> {
    const rows = await this.db.query<RosterPageRow>(rosterPageSql(full, ['$1', '$2']), [since ?? 0, limit + 1]);
    return rosterPageFrom(rows, since, limit, full, (page) => this.sealer.open(page));
  }

  async rosterEntity(type: RosterEntityType, id: string): Promise<WireRosterChange | null> {
    const row = (await this.db.query<RosterDbRow>('SELECT * FROM roster WHERE type = $1 AND entity_id = $2', [type, id]))[0];
    return row ? ((await this.sealer.open([row]))[0] ?? null) : null;
  }

  async listGroups(): Promise<Array<{ group: string; people: number }>> {
    return this.db.query<{ group: string; people: number }>(
      `SELECT data::jsonb ->> 'group' AS "group", COUNT(*)::int AS people FROM roster
       WHERE type = 'person' AND op = 'upsert' AND data::jsonb ->> 'group' IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
  }

  compactRoster(): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query("SELECT value FROM hub_counters WHERE name = 'roster' FOR UPDATE");
      const row = (await tx.query<{ c: number | null }>("SELECT MAX(cursor) AS c FROM roster WHERE op = 'delete'"))[0];
      const horizon = row?.c ?? 0;
      if (horizon === 0) return 0;
      await tx.query("DELETE FROM roster WHERE op = 'delete' AND cursor <= $1", [horizon]);
      await tx.query("INSERT INTO meta (key, value) VALUES ('roster_horizon', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(horizon)]);
      return horizon;
    });
  }

  async addCommand(deviceId: string, command: HubCommand): Promise<void> {
    await this.db.query('INSERT INTO commands (id, device_id, kind, args, created_at, expires_at, expires_ms, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
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
    const rows = await this.db.query<CommandRow>(
      "SELECT * FROM commands WHERE device_id = $1 AND state = 'pending' AND (expires_ms IS NULL OR expires_ms > $2) ORDER BY created_at, id LIMIT 100",
      [deviceId, nowMs],
    );
    return rows.map(rowToCommand);
  }

  async ackCommand(deviceId: string, commandId: string, ack: CommandAck, nowMs: number): Promise<boolean> {
    // The first acknowledgement wins, also when two processes take two acks at once.
    await this.db.query("UPDATE commands SET state = 'acked', ack = $1, acked_ms = $2 WHERE id = $3 AND device_id = $4 AND state = 'pending'", [JSON.stringify(ack), nowMs, commandId, deviceId]);
    return (await this.db.query('SELECT 1 FROM commands WHERE id = $1 AND device_id = $2', [commandId, deviceId])).length === 1;
  }

  async command(deviceId: string, commandId: string): Promise<CommandRecord | null> {
    const row = (await this.db.query<CommandRow>('SELECT * FROM commands WHERE id = $1 AND device_id = $2', [commandId, deviceId]))[0];
    return row ? rowToCommandRecord(row) : null;
  }
}

async function maxCursor(db: PgQueryable): Promise<number> {
  return (await db.query<{ c: number | null }>('SELECT MAX(cursor) AS c FROM roster'))[0]?.c ?? 0;
}

async function eraseTemplatesOf(tx: PgQueryable, personId: string): Promise<void> {
  const rows = await tx.query<{ entity_id: string }>("DELETE FROM roster WHERE person_id = $1 AND type = 'template' AND op = 'upsert' RETURNING entity_id", [personId]);
  for (const row of rows) await tx.query(INSERT_ROSTER, ['template', row.entity_id, personId, 'delete', null]);
}

async function reemitDependants(tx: PgQueryable, personId: string): Promise<void> {
  const rows = await tx.query<RosterDbRow & { person_id: string }>("DELETE FROM roster WHERE person_id = $1 AND type != 'person' RETURNING *", [personId]);
  rows.sort((a, b) => a.cursor - b.cursor);
  for (const row of rows) await tx.query(INSERT_ROSTER, [row.type, row.entity_id, row.person_id, row.op, row.data]);
}
