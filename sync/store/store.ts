// openStore: one SQLite file, one connection, opened with the durability PRAGMAs, checked,
// migrated, and bound to a field cipher whose key it verifies before anything is read or written.
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { FieldCipher } from './cipher.js';
import type { Direction, EventClock, EventOutbox, EventLog, LastPassage, RosterStore, StoredEvent } from './types.js';
import { type SqlRunner, SqliteConnection, num, numOrNull, text } from './db.js';
import { StoreCorruptError, StoreKeyError, mapSqliteError } from './errors.js';
import { GroupCommitEventLog } from './event-log.js';
import { EVENT_COLUMNS, eventParams } from './event-codec.js';
import { kvGet, kvSet } from './kv.js';
import { assertKnownVersion, migrate, userVersion } from './migrations.js';
import { SqliteEventOutbox } from './outbox.js';
import { SqliteRosterStore } from './roster.js';
import { DURABILITY_PRAGMAS, makeDirectoryPrivate } from '../../lib/index.js';
import { CHECK_AAD, CHECK_KEY, CHECK_PLAIN, KEY_ID_KEY, rekeyFields } from './rekey.js';

export interface StoreOptions {
  path: string;
  deviceId: string;
  bootId: string;
  clock: EventClock;
  cipher: FieldCipher;
  logger: Logger;
  /** SQLite max_page_count for this connection (tests and ops simulate a full disk with it). */
  maxPageCount?: number;
  /** Skip PRAGMA quick_check at open (it reads every page; default is to check). */
  skipIntegrityCheck?: boolean;
  busyTimeoutMs?: number;
}

/** An unsent event read back from a damaged database. */
export interface SalvagedEvent {
  event: StoredEvent;
  state: 'pending' | 'quarantined';
  error: string | null;
}

export interface StoreEventLog extends EventLog {
  /** Committed event groups: fewer than events when concurrent appends shared a transaction. */
  readonly commits: number;
}

export interface StoreOutbox extends EventOutbox {
  quarantined(limit: number): Promise<Array<{ event: StoredEvent; error: string | null }>>;
}

export interface StoreRoster extends RosterStore {
  replaceInProgress(): Promise<boolean>;
}

export interface DoorRecord {
  name: string;
  kind: string;
}

export interface Store {
  readonly events: StoreEventLog;
  readonly outbox: StoreOutbox;
  readonly roster: StoreRoster;
  readonly state: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void> };
  /** person -> last granted direction/door/wallMs, from the events table (anti-passback survives restarts). */
  lastPassages(): Promise<Map<string, LastPassage>>;
  usedSingleUseCredentials(): Promise<Set<string>>;
  /** Deletes the person with credentials and templates, then clears the WAL (TRUNCATE checkpoint). */
  purgePerson(personId: string): Promise<void>;
  /** Re-seals every sealed field with `next` in one transaction; returns rows rewritten. */
  rekey(next: FieldCipher): Promise<number>;
  checkIntegrity(): Promise<{ ok: boolean; detail: string }>;
  checkpoint(): Promise<void>;
  /** Retention: deletes synced events with wallMs before `cutoffWallMs` (epoch ms); never pending or quarantined. */
  pruneSynced(cutoffWallMs: number): Promise<number>;
  /** Sets SQLite max_page_count; returns the limit now in force (never below the current size). */
  setMaxPageCount(pages: number): Promise<number>;
  registerDoors(doors: readonly DoorRecord[]): Promise<void>;
  listDoors(): Promise<DoorRecord[]>;
  /** Committed write transactions on this connection (all kinds). */
  transactionCount(): number;
  close(): Promise<void>;
}


async function configure(db: SqliteConnection, busyTimeoutMs: number): Promise<void> {
  db.setBusyTimeout(busyTimeoutMs);
  await db.read('configure', async (sql) => {
    const mode = await sql.get('PRAGMA journal_mode = WAL');
    if (mode?.journal_mode !== 'wal') throw new Error(`cannot switch to WAL (journal_mode=${String(mode?.journal_mode)})`);
    // journal_size_limit: after a checkpoint the WAL shrinks back to 16 MiB instead of keeping the
    // high-water size of the last roster re-pull on the SD card.
    await sql.exec(`${DURABILITY_PRAGMAS} PRAGMA journal_size_limit = 16777216;`);
  });
}

async function quickCheck(sql: SqlRunner): Promise<{ ok: boolean; detail: string }> {
  const rows = await sql.all('PRAGMA quick_check');
  const lines = rows.map((row) => String(row.quick_check));
  const ok = lines.length === 1 && lines[0] === 'ok';
  return { ok, detail: lines.join('; ') };
}

async function verifyCipher(db: SqliteConnection, cipher: FieldCipher, file: string): Promise<void> {
  await db.transaction('verify field cipher', async (sql) => {
    const sealed = await kvGet(sql, CHECK_KEY);
    if (typeof sealed !== 'string') {
      await kvSet(sql, CHECK_KEY, cipher.seal(Buffer.from(CHECK_PLAIN), CHECK_AAD).toString('base64'));
      await kvSet(sql, KEY_ID_KEY, cipher.keyId);
      return;
    }
    const storedKeyId = await kvGet(sql, KEY_ID_KEY);
    try {
      if (cipher.open(Buffer.from(sealed, 'base64'), CHECK_AAD).toString() !== CHECK_PLAIN) throw new Error('check value differs');
    } catch (error) {
      throw new StoreKeyError(
        `${file} is sealed with template key "${String(storedKeyId)}", which is not the key given ("${cipher.keyId}"); ` +
          'names and templates cannot be read (wrong or replaced key file)',
        { cause: error },
      );
    }
  });
}

async function loadCounters(db: SqliteConnection): Promise<{ lastSeq: number; consumed: Set<string> }> {
  return db.read('load counters', async (sql) => {
    const top = await sql.get('SELECT max(seq) AS top FROM events');
    const floor = await kvGet(sql, 'events.seqFloor');
    const lastSeq = Math.max(top ? (numOrNull(top, 'top') ?? 0) : 0, typeof floor === 'number' ? floor : 0);
    const uses = await sql.all('SELECT credential_id FROM credential_uses');
    return { lastSeq, consumed: new Set(uses.map((row) => text(row, 'credential_id'))) };
  });
}

export function openStore(opts: StoreOptions): Promise<Store> {
  return openSqliteStore(opts);
}

/** openStore's concrete result; recovery (salvage.ts) needs its adopt step. */
export async function openSqliteStore(opts: StoreOptions): Promise<SqliteStore> {
  // The state folder holds the database, its WAL and the template key: the service user's alone.
  await makeDirectoryPrivate(dirname(opts.path));
  const db = await SqliteConnection.open(opts.path);
  try {
    await configure(db, opts.busyTimeoutMs ?? 5_000);
    const version = await userVersion(db);
    assertKnownVersion(version, opts.path);
    if (version > 0 && opts.skipIntegrityCheck !== true) {
      const check = await db.read('quick_check', quickCheck);
      if (!check.ok) throw new StoreCorruptError(`${opts.path} failed quick_check: ${check.detail}`);
    }
    await migrate(db, opts.path);
    if (opts.maxPageCount !== undefined) {
      await db.read('set max_page_count', (sql) => sql.get(`PRAGMA max_page_count = ${Math.floor(opts.maxPageCount ?? 0)}`));
    }
    await verifyCipher(db, opts.cipher, opts.path);
    const { lastSeq, consumed } = await loadCounters(db);
    return new SqliteStore(db, opts, lastSeq, consumed);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw mapSqliteError(error, `open store ${opts.path}`);
  }
}

export class SqliteStore implements Store {
  readonly events: GroupCommitEventLog;
  readonly outbox: SqliteEventOutbox;
  readonly roster: SqliteRosterStore;
  readonly state: Store['state'];
  private cipher: FieldCipher;
  private readonly log: Logger;
  private readonly clock: EventClock;

  constructor(
    private readonly db: SqliteConnection,
    opts: StoreOptions,
    lastSeq: number,
    private readonly consumed: Set<string>,
  ) {
    this.log = opts.logger.child({ ns: 'store' });
    this.cipher = opts.cipher;
    this.clock = opts.clock;
    this.events = new GroupCommitEventLog(db, opts.clock, { deviceId: opts.deviceId, bootId: opts.bootId }, lastSeq, consumed, opts.logger);
    this.outbox = new SqliteEventOutbox(db, opts.clock);
    this.roster = new SqliteRosterStore(db, opts.cipher, opts.logger, () => this.checkpoint());
    this.state = {
      get: (key) => db.read('read state', (sql) => kvGet(sql, `state.${key}`)),
      set: (key, value) => db.transaction('write state', (sql) => kvSet(sql, `state.${key}`, value)),
    };
    this.log.info({ path: opts.path, lastSeq }, 'store open');
  }

  lastPassages(): Promise<Map<string, LastPassage>> {
    return this.db.read('read last passages', async (sql) => {
      const rows = await sql.all(
        `SELECT e.person_id, e.direction, e.door, e.wall_ms FROM events e JOIN (
           SELECT person_id, max(seq) AS seq FROM events
           WHERE type = 'access.granted' AND person_id IS NOT NULL AND direction IS NOT NULL AND door IS NOT NULL
           GROUP BY person_id) last ON e.seq = last.seq`,
      );
      return new Map(rows.map((row) => [
        text(row, 'person_id'),
        { direction: text(row, 'direction') as Direction, door: text(row, 'door'), wallMs: num(row, 'wall_ms') },
      ] as const));
    });
  }

  usedSingleUseCredentials(): Promise<Set<string>> {
    return Promise.resolve(new Set(this.consumed));
  }

  async purgePerson(personId: string): Promise<void> {
    const removed = await this.db.transaction('purge person', async (sql) => {
      const { changes } = await sql.run('DELETE FROM people WHERE id = ?', [personId]);
      return changes;
    });
    await this.checkpoint();
    this.log.info({ personId, removed }, 'person purged from database and WAL');
  }

  async rekey(next: FieldCipher): Promise<number> {
    const rows = await this.db.transaction('rekey', (sql) => rekeyFields(sql, this.cipher, next));
    this.cipher = next;
    this.roster.useCipher(next);
    await this.checkpoint();
    this.log.info({ rows, keyId: next.keyId }, 'template key rotated');
    return rows;
  }

  checkIntegrity(): Promise<{ ok: boolean; detail: string }> {
    return this.db.read('quick_check', quickCheck);
  }

  async checkpoint(): Promise<void> {
    const row = await this.db.read('checkpoint', (sql) => sql.get('PRAGMA wal_checkpoint(TRUNCATE)'));
    if (row !== undefined && row.busy !== 0) this.log.warn({ result: row }, 'WAL checkpoint could not complete');
  }

  pruneSynced(cutoffWallMs: number): Promise<number> {
    return this.outbox.pruneSynced(cutoffWallMs);
  }

  async setMaxPageCount(pages: number): Promise<number> {
    const row = await this.db.read('set max_page_count', (sql) => sql.get(`PRAGMA max_page_count = ${Math.max(1, Math.floor(pages))}`));
    return row ? num(row, 'max_page_count') : pages;
  }

  registerDoors(doors: readonly DoorRecord[]): Promise<void> {
    const now = this.clock.wallMs();
    return this.db.transaction('register doors', async (sql) => {
      for (const door of doors) {
        await sql.run(
          'INSERT INTO doors (name, kind, updated_ms) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, updated_ms = excluded.updated_ms',
          [door.name, door.kind, now],
        );
      }
    });
  }

  listDoors(): Promise<DoorRecord[]> {
    return this.db.read('list doors', async (sql) =>
      (await sql.all('SELECT name, kind FROM doors ORDER BY name')).map((row) => ({ name: text(row, 'name'), kind: text(row, 'kind') })),
    );
  }

  /**
   * Takes in events salvaged from a quarantined database, keeping their ids, seqs and sync state,
   * and raises the seq floor to `highWaterSeq` so no seq is ever issued twice. Only for a fresh
   * store, before anything is appended.
   */
  async adoptSalvaged(salvaged: readonly SalvagedEvent[], highWaterSeq: number): Promise<void> {
    const floor = Math.max(highWaterSeq, this.events.lastSeq(), ...salvaged.map((s) => s.event.seq));
    await this.db.transaction('adopt salvaged events', async (sql) => {
      for (const { event, state, error } of salvaged) {
        const params = eventParams(
          event,
          event.credential === null ? null : JSON.stringify(event.credential),
          event.data === undefined ? null : JSON.stringify(event.data),
        );
        await sql.run(
          `INSERT OR IGNORE INTO events (${EVENT_COLUMNS.join(', ')}, sync_state, sync_error) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')}, ?, ?)`,
          [...params, state, error],
        );
      }
      await kvSet(sql, 'events.seqFloor', floor);
    });
    this.events.raiseFloor(floor);
  }

  transactionCount(): number {
    return this.db.transactions;
  }

  async close(): Promise<void> {
    await this.events.drain();
    await this.db.close();
    this.log.info('store closed');
  }
}
