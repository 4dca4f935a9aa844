// The kiosk's database opened for reading only, for the technician CLI while the daemon is down
// (`esik status`, `esik events tail`, `esik sync status`). Nothing is written: not the database,
// not a -wal or -shm file. The CLI often runs as another user (root through sudo) than the kiosk;
// a read-write open used to create -wal/-shm files owned by that user, and could migrate or
// re-seal a database the kiosk owns.
//
// A WAL database read-only needs its -wal and -shm. Two cases:
// - no -wal: the kiosk closed cleanly (the last close checkpoints into the main file and deletes
//   the WAL), so the main file is the whole database. It is opened immutable=1: no locks, no side
//   files, and it works in a directory this user cannot write.
// - a -wal (the kiosk stopped without closing, or is hung): the newest events are only in the WAL,
//   so a plain read-only open reads it through the existing -shm. If the -shm is missing, SQLite
//   would create it owned by this user and the kiosk could not map it later: refused, with advice.
import { access, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import sqlite3 from 'sqlite3';
import { type Row, type SqlRunner, type SqlValue, num, numOrNull } from './db.js';
import { mapSqliteError } from './errors.js';
import { EVENT_SELECT, rowToEvent } from './event-codec.js';
import { kvGet } from './kv.js';
import { assertKnownVersion } from './migrations.js';
import type { OutboxBacklog, StoredEvent } from './types.js';

export interface ReadOnlyStore {
  readonly mode: 'immutable' | 'wal';
  lastSeq(): Promise<number>;
  eventsSince(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  backlog(): Promise<OutboxBacklog>;
  quarantined(limit: number): Promise<Array<{ event: StoredEvent; error: string | null }>>;
  rosterCursor(): Promise<string | null>;
  close(): Promise<void>;
}

export class ReadOnlyStoreError extends Error {
  override readonly name = 'ReadOnlyStoreError';
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

function openDatabase(filename: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(filename, mode, (error: Error | null) => (error ? reject(error) : resolve(db)));
  });
}

/** The statements a reader needs, one at a time (a CLI reads a handful of rows). */
class ReadRunner implements SqlRunner {
  constructor(private readonly db: sqlite3.Database) {}

  run(): Promise<{ changes: number }> {
    return Promise.reject(new ReadOnlyStoreError('the store is open read-only'));
  }

  get(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (error: Error | null, row: unknown) => (error ? reject(error) : resolve(typeof row === 'object' && row !== null ? (row as Row) : undefined)));
    });
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (error: Error | null, rows: unknown[]) => (error ? reject(error) : resolve(rows.filter((r): r is Row => typeof r === 'object' && r !== null))));
    });
  }

  exec(): Promise<void> {
    return Promise.reject(new ReadOnlyStoreError('the store is open read-only'));
  }
}

async function chooseMode(path: string): Promise<'immutable' | 'wal'> {
  if (!(await exists(path))) throw new ReadOnlyStoreError(`no database at ${path} (has the kiosk run with this configuration?)`);
  if (!(await exists(`${path}-wal`))) return 'immutable';
  if (!(await exists(`${path}-shm`)) && process.getuid?.() !== (await stat(path)).uid) {
    throw new ReadOnlyStoreError(
      `${path} has a write-ahead log from a kiosk that did not close it, but no ${path}-shm; reading it would create that file ` +
        'owned by this user, which the kiosk could not use. Run this command as the kiosk\'s user, or start the kiosk.',
    );
  }
  return 'wal';
}

export async function openReadOnlyStore(path: string): Promise<ReadOnlyStore> {
  const mode = await chooseMode(path);
  const db = await (mode === 'immutable'
    ? openDatabase(`${pathToFileURL(path).href}?immutable=1`, sqlite3.OPEN_READONLY | sqlite3.OPEN_URI)
    : openDatabase(path, sqlite3.OPEN_READONLY)
  ).catch((error: unknown) => {
    throw mapSqliteError(error, `open ${path} read-only`);
  });
  const sql = new ReadRunner(db);
  const read = async <T>(context: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw mapSqliteError(error, `${context} (${path}, read-only)`);
    }
  };
  try {
    db.configure('busyTimeout', 5_000);
    const version = await read('read user_version', async () => {
      const row = await sql.get('PRAGMA user_version');
      return row ? num(row, 'user_version') : 0;
    });
    if (version === 0) throw new ReadOnlyStoreError(`${path} is not an esik database yet (schema version 0)`);
    assertKnownVersion(version, path);
  } catch (error) {
    await new Promise<void>((resolve) => db.close(() => resolve()));
    throw error;
  }
  return {
    mode,
    lastSeq: () =>
      read('read last seq', async () => {
        const top = await sql.get('SELECT max(seq) AS top FROM events');
        const floor = await kvGet(sql, 'events.seqFloor');
        return Math.max(top ? (numOrNull(top, 'top') ?? 0) : 0, typeof floor === 'number' ? floor : 0);
      }),
    eventsSince: (afterSeq, limit) => read('read events', async () => (await sql.all(`${EVENT_SELECT} WHERE seq > ? ORDER BY seq LIMIT ?`, [afterSeq, limit])).map(rowToEvent)),
    backlog: () =>
      read('read backlog', async () => {
        const pending = await sql.get(`SELECT count(*) AS n, min(seq) AS oldest FROM events WHERE sync_state = 'pending'`);
        const quarantined = await sql.get(`SELECT count(*) AS n FROM events WHERE sync_state = 'quarantined'`);
        return { pending: pending ? num(pending, 'n') : 0, quarantined: quarantined ? num(quarantined, 'n') : 0, oldestPendingSeq: pending ? numOrNull(pending, 'oldest') : null };
      }),
    quarantined: (limit) =>
      read('read quarantine', async () =>
        (await sql.all(`${EVENT_SELECT.replace(' FROM events', ', sync_error FROM events')} WHERE sync_state = 'quarantined' ORDER BY seq LIMIT ?`, [limit])).map((row) => ({
          event: rowToEvent(row),
          error: typeof row.sync_error === 'string' ? row.sync_error : null,
        })),
      ),
    rosterCursor: () => read('read roster cursor', async () => {
      const value = await kvGet(sql, 'roster.cursor');
      return typeof value === 'string' ? value : null;
    }),
    close: () => new Promise<void>((resolve, reject) => db.close((error: Error | null) => (error ? reject(error) : resolve()))),
  };
}
