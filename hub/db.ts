// A small promise face over sqlite3 for the hub. Transactions are serialised through one queue:
// sqlite3 runs statements of one connection in order, but two interleaved async transactions
// would otherwise nest BEGINs, so every write path takes the queue.
import sqlite3 from 'sqlite3';
import { DURABILITY_PRAGMAS, openSqliteFile } from '../lib/index.js';

export type SqlValue = string | number | bigint | Buffer | null;

export class HubDb {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: sqlite3.Database) {}

  static async open(file: string): Promise<HubDb> {
    const hub = new HubDb(await openSqliteFile(file)); // 0600 for it and its -wal/-shm, whatever the umask
    await hub.exec(`PRAGMA journal_mode = WAL; ${DURABILITY_PRAGMAS} PRAGMA busy_timeout = 5000;`);
    return hub;
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (error: Error | null, row: T | undefined) => (error ? reject(error) : resolve(row)));
    });
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows)));
    });
  }

  /** Runs `work` inside BEGIN IMMEDIATE ... COMMIT, after every earlier transaction has finished. */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        await this.exec('COMMIT');
        return result;
      } catch (error) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Runs `read` after every earlier transaction has finished. A read on this one connection while a
   * transaction is open would see its uncommitted rows; a consumer paging by hub seq or roster
   * cursor must only ever see committed ones (a rolled-back seq is handed out again later).
   */
  committed<T>(read: () => Promise<T>): Promise<T> {
    const next = this.queue.then(read);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Copies the WAL into the database and truncates it, after any running transaction. */
  checkpoint(): Promise<void> {
    const next = this.queue.then(() => this.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }
}
