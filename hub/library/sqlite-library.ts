// The library on the hub's SQLite file, through its own connection (WAL; busy_timeout waits for
// the hub's writers), like the notifier's store: writers serialise on BEGIN IMMEDIATE.
import { HubDb } from '../db.js';
import { SqlLibrary } from './library-core.js';
import type { LibraryDriver, LibraryParam, LibrarySql } from './sql.js';

export const LIBRARY_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS library_titles (
  id TEXT PRIMARY KEY, isbn13 TEXT, title TEXT NOT NULL, author TEXT, year INTEGER, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS library_titles_isbn ON library_titles (isbn13);
CREATE TABLE IF NOT EXISTS library_copies (
  barcode TEXT PRIMARY KEY, title_id TEXT NOT NULL REFERENCES library_titles (id),
  reading_room_only INTEGER NOT NULL CHECK (reading_room_only IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('available', 'withdrawn', 'lost')), updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS library_copies_title ON library_copies (title_id);
CREATE TABLE IF NOT EXISTS library_loans (
  event_id TEXT PRIMARY KEY, copy_id TEXT NOT NULL, borrower_id TEXT, device_id TEXT NOT NULL, hub_seq INTEGER NOT NULL,
  loaned_ms INTEGER NOT NULL, due_date TEXT, renewals INTEGER NOT NULL DEFAULT 0, returned_ms INTEGER, return_event_id TEXT,
  conflict INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS library_loans_copy ON library_loans (copy_id, loaned_ms);
CREATE INDEX IF NOT EXISTS library_loans_open ON library_loans (borrower_id) WHERE returned_ms IS NULL;
CREATE TABLE IF NOT EXISTS library_flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, copy_id TEXT NOT NULL, event_id TEXT NOT NULL,
  other_event_id TEXT NOT NULL, detail TEXT NOT NULL, created_ms INTEGER NOT NULL,
  UNIQUE (kind, event_id, other_event_id));
-- A librarian's "resolved" on a flag (the console), beside the flag: the fold never writes it.
CREATE TABLE IF NOT EXISTS library_flag_resolutions (
  flag_id INTEGER PRIMARY KEY REFERENCES library_flags (id), resolved_ms INTEGER NOT NULL, resolved_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS library_cursor (name TEXT PRIMARY KEY, hub_seq INTEGER NOT NULL);
INSERT OR IGNORE INTO library_cursor (name, hub_seq) VALUES ('loans', 0);
`;

/** $1.. as SQLite's numbered ?1.. (same numbers, so a repeated $1 binds once). */
function sqliteSql(text: string): string {
  return text.replace(/\$(\d+)/g, '?$1');
}

class SqliteLibraryDriver implements LibraryDriver {
  private readonly sql: LibrarySql;

  constructor(private readonly db: HubDb) {
    this.sql = { query: <T extends object>(text: string, params: readonly LibraryParam[] = []) => this.db.all<T>(sqliteSql(text), params) };
  }

  write<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T> {
    return this.db.transaction(() => work(this.sql));
  }

  read<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T> {
    return this.db.committed(() => work(this.sql));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** Opens the hub's SQLite file for the library and creates its tables if missing. */
export async function openSqliteLibrary(file: string): Promise<SqlLibrary> {
  const db = await HubDb.open(file);
  await db.exec(LIBRARY_SQLITE_SCHEMA);
  return new SqlLibrary(new SqliteLibraryDriver(db));
}
