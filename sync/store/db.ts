// A small promise layer over one sqlite3 connection. Every use goes through a serial queue
// (`exclusive`), so a transaction's statements never interleave with another caller's: node-sqlite3
// would otherwise happily run a second caller's INSERT inside the first caller's BEGIN...COMMIT.
// Statements inside a transaction are awaited one by one, never pipelined: after some errors
// (SQLITE_FULL, IOERR) SQLite rolls the transaction back by itself, and a pipelined statement
// behind it would then run in autocommit mode and persist half a batch.
import sqlite3 from 'sqlite3';
import { mapSqliteError } from './errors.js';
import { openSqliteFile } from '../../lib/index.js';

export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, unknown>;

export interface SqlRunner {
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  get(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  exec(sql: string): Promise<void>;
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null;
}

class RawRunner implements SqlRunner {
  constructor(private readonly db: sqlite3.Database) {}

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve({ changes: this.changes });
      });
    });
  }

  get(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (error: Error | null, row: unknown) => {
        if (error) reject(error);
        else resolve(isRow(row) ? row : undefined);
      });
    });
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (error: Error | null, rows: unknown[]) => {
        if (error) reject(error);
        else resolve(rows.filter(isRow));
      });
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (error: Error | null) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }
}

export class SqliteConnection {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly runner: RawRunner;
  /** Committed write transactions; tests use it to see group commit sharing one transaction. */
  transactions = 0;

  private constructor(private readonly db: sqlite3.Database) {
    this.runner = new RawRunner(db);
  }

  static async open(file: string, readOnly = false): Promise<SqliteConnection> {
    try {
      return new SqliteConnection(await openSqliteFile(file, readOnly));
    } catch (error) {
      throw mapSqliteError(error, `open ${file}`);
    }
  }

  setBusyTimeout(ms: number): void {
    this.db.configure('busyTimeout', ms);
  }

  /** Runs `fn` alone on the connection: nothing else queued here starts until it settles. */
  exclusive<T>(fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => fn(this.runner));
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back whole on any error. */
  transaction<T>(context: string, fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
    return this.exclusive(async (sql) => {
      await sql.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(sql);
        await sql.exec('COMMIT');
        this.transactions += 1;
        return result;
      } catch (error) {
        // SQLite may already have rolled back (SQLITE_FULL does); "no transaction is active" is fine.
        await sql.exec('ROLLBACK').catch(() => undefined);
        throw mapSqliteError(error, context);
      }
    });
  }

  /** A read (or a single self-contained statement) through the queue, with errors mapped. */
  read<T>(context: string, fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
    return this.exclusive(async (sql) => {
      try {
        return await fn(sql);
      } catch (error) {
        throw mapSqliteError(error, context);
      }
    });
  }

  close(): Promise<void> {
    return this.exclusive(
      () =>
        new Promise<void>((resolve, reject) => {
          this.db.close((error: Error | null) => (error ? reject(error) : resolve()));
        }),
    );
  }
}

// ---- row field readers: rows come back as unknown and are checked, not cast ----

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`column ${column}: expected text, got ${typeof value}`);
  return value;
}

export function textOrNull(row: Row, column: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : text(row, column);
}

export function num(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw new TypeError(`column ${column}: expected number, got ${typeof value}`);
  return value;
}

export function numOrNull(row: Row, column: string): number | null {
  const value = row[column];
  return value === null || value === undefined ? null : num(row, column);
}

export function blob(row: Row, column: string): Buffer {
  const value = row[column];
  if (!Buffer.isBuffer(value)) throw new TypeError(`column ${column}: expected blob`);
  return value;
}

export function blobOrNull(row: Row, column: string): Buffer | null {
  const value = row[column];
  return value === null || value === undefined ? null : blob(row, column);
}

/** "(?, ?, ?), (?, ?, ?)" for a multi-row VALUES clause. */
export function placeholders(rows: number, columns: number): string {
  const one = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(one).join(', ');
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
