// A small face over a node-postgres pool for the hub. Several hub processes share one database, so
// every guarantee lives in it: transactions, row locks and unique keys, never in this process.
// The pool survives the server going away: an idle client's 'error' is logged (an unhandled one
// would crash the process), a query during the outage fails with StorageUnavailableError (the
// server answers 503), and the next query opens a fresh connection.
import pg from 'pg';
import { HubError } from './errors.js';

export type PgValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

export interface PgLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

/** The database cannot be reached (down, restarting, refusing connections): retry later. */
export class StorageUnavailableError extends HubError {
  constructor(cause: unknown) {
    super(503, 'unavailable', 'the hub database is unavailable; retry later', { 'retry-after': '5' });
    this.cause = cause;
  }
}

/**
 * A transaction that kept losing to other hub processes (serialisation failures, deadlocks, unique
 * races) through every attempt: the caller gets 503 and retries later, like a kiosk's push, instead
 * of a raw database error and a 500.
 */
export class StorageContendedError extends HubError {
  constructor(cause: unknown) {
    super(503, 'contended', 'the hub database is busy with the same rows; retry later', { 'retry-after': '1' });
    this.cause = cause;
  }
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * Connection-class failures: SQLSTATE class 08, admin/crash shutdown (57P01-57P03), a socket error,
 * or no pooled connection free within the connect timeout (overload: 503 and retry, like an outage).
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code) || CONNECTION_ERRNOS.has(code))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/** Serialisation failures and deadlocks: the transaction is safe to run again from the start. */
function isRetryable(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === '40001' || code === '40P01' || code === '23505';
}

// bigint (int8) columns as JavaScript numbers: hub seqs, cursors and times stay far below 2^53.
function parseInt8(value: string): number {
  return Number(value);
}
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => (oid === 20 ? parseInt8 : (pg.types.getTypeParser(oid, format) as unknown))) as typeof pg.types.getTypeParser,
};

/** A statement each connection parses and plans once (the hot paths of ingest and reads). */
export interface NamedSql {
  name: string;
  text: string;
}

export interface PgQueryable {
  query<T extends pg.QueryResultRow>(sql: string | NamedSql, params?: readonly PgValue[]): Promise<T[]>;
}

function config(sql: string | NamedSql, params: readonly PgValue[]): pg.QueryConfig {
  return typeof sql === 'string' ? { text: sql, values: params as unknown[] } : { name: sql.name, text: sql.text, values: params as unknown[] };
}

export class PgDb implements PgQueryable {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly logger: PgLogger,
  ) {}

  /** `applicationName` names the pool in pg_stat_activity: each part of a hub process keeps its own. */
  static open(url: string, logger: PgLogger, maxConnections = 10, applicationName = 'esik-hub'): PgDb {
    const pool = new pg.Pool({
      connectionString: url,
      application_name: applicationName,
      max: maxConnections,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // A hub process frozen inside a transaction would hold its device's row and keep its hub-seq
      // block in flight (readers wait below it): the server ends such a transaction after 30 s.
      idle_in_transaction_session_timeout: 30_000,
      types: typeParsers,
    });
    pool.on('error', (error) => logger.warn({ err: error }, 'hub database connection lost; the next query reconnects'));
    return new PgDb(pool, logger);
  }

  async query<T extends pg.QueryResultRow>(sql: string | NamedSql, params: readonly PgValue[] = []): Promise<T[]> {
    try {
      return (await this.pool.query<T>(config(sql, params))).rows;
    } catch (error) {
      throw isConnectionError(error) ? new StorageUnavailableError(error) : error;
    }
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED). A deadlock, serialisation failure or unique
   * violation (two processes inserting the same key at once) runs it again from the start, where
   * the loser then sees the winner's row.
   */
  async transaction<T>(work: (tx: PgQueryable) => Promise<T>, attempts = 5): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(work);
      } catch (error) {
        if (isConnectionError(error)) throw new StorageUnavailableError(error);
        if (!isRetryable(error)) throw error;
        if (attempt >= attempts) throw new StorageContendedError(error);
      }
    }
  }

  private async transactionOnce<T>(work: (tx: PgQueryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // The pool listens for errors on idle clients only: a connection lost while this one is checked
    // out (between two statements) would otherwise be an unhandled 'error' and end the process.
    const onLost = (error: Error): void => {
      broken = true;
      this.logger.warn({ err: error }, 'hub database connection lost inside a transaction');
    };
    client.on('error', onLost);
    const tx: PgQueryable = {
      query: async <R extends pg.QueryResultRow>(sql: string | NamedSql, params: readonly PgValue[] = []) => (await client.query<R>(config(sql, params))).rows,
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken ||= isConnectionError(error);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A client whose connection broke is destroyed, not handed to the next request.
      client.release(broken ? true : undefined);
      client.removeListener('error', onLost); // the pool's own listener is back on it now
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
