// Opening a SQLite file the way every esik program does (the kiosk's store, the hub): the file and
// its companions private before SQLite creates them, and one list of durability settings. Each
// program keeps its own promise layer and adds its own settings on top (the store checks the WAL
// switch and caps the WAL's size; the hub sets a busy timeout).
import sqlite3 from 'sqlite3';
import { makeDatabaseFilePrivate } from './private-files.js';

/**
 * After `PRAGMA journal_mode = WAL`: a commit is on disk when it returns (synchronous = FULL, so a
 * door never opens on a record a power cut can take back), references are enforced, and deleted
 * personal data is overwritten rather than left in free pages.
 */
export const DURABILITY_PRAGMAS = 'PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;';

/** Opens `file` read-write (created 0600 if absent, and its -wal/-shm 0600) or, with `readOnly`, as it is. */
export async function openSqliteFile(file: string, readOnly = false): Promise<sqlite3.Database> {
  const mode = readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
  // Before SQLite creates anything: the -wal and -shm it makes copy the main file's mode.
  if (!readOnly) await makeDatabaseFilePrivate(file);
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, mode, (error: Error | null) => (error ? reject(error) : resolve(db)));
  });
}
