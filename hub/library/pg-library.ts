// The library on PostgreSQL, through its own small pool. Its tables are a numbered migration in
// hub/pg-schema.ts, applied by the hub storage. Imports and folds run at READ COMMITTED; the fold's
// compare-and-set on its cursor row makes two hub processes fold a page once (the second waits on
// the row lock, then finds the cursor moved and writes nothing).
import type pg from 'pg';
import { PgDb, type PgLogger, type PgQueryable } from '../pg-db.js';
import { SqlLibrary } from './library-core.js';
import type { LibraryDriver, LibraryParam, LibrarySql } from './sql.js';

function librarySql(tx: PgQueryable): LibrarySql {
  return { query: <T extends object>(text: string, params: readonly LibraryParam[] = []) => tx.query<T & pg.QueryResultRow>(text, params) };
}

class PgLibraryDriver implements LibraryDriver {
  constructor(private readonly db: PgDb) {}

  write<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(librarySql(tx)));
  }

  read<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T> {
    return work(librarySql(this.db));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The library over a migrated hub database (the hub storage applied the migrations). */
export async function openPgLibrary(url: string, logger: PgLogger, maxConnections = 3): Promise<SqlLibrary> {
  const db = PgDb.open(url, logger, maxConnections, 'esik-hub-library');
  const rows = await db.query<{ t: string | null }>("SELECT to_regclass('library_loans')::text AS t");
  if (!rows[0]?.t) {
    await db.close();
    throw new Error('the library tables are missing: open the hub storage (it applies the migrations) first');
  }
  return new SqlLibrary(new PgLibraryDriver(db));
}
