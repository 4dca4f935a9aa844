// The hub storage and the library on both databases for the library tests: SQLite in a temp
// folder, PostgreSQL on one throwaway server per test file with a fresh, migrated database each.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgHubStorage, SqliteHubStorage, type HubStorage } from '../../hub/index.js';
import { openSqliteLibrary, type LibraryStore } from '../../hub/library/index.js';
import { openPgLibrary } from '../../hub/library/pg-library.js';
import { silentLogger } from '../sync/helpers.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';

export interface LibraryHandle {
  location: string;
  storage: HubStorage;
  library: LibraryStore;
  close(): Promise<void>;
}

export interface LibraryBackend {
  name: 'sqlite' | 'postgres';
  start(): Promise<void>;
  open(): Promise<LibraryHandle>;
  /** A second library handle on the same database: another hub process. */
  reopen(handle: LibraryHandle): Promise<LibraryStore>;
  stop(): Promise<void>;
}

function sqliteBackend(): LibraryBackend {
  let dir = '';
  let count = 0;
  return {
    name: 'sqlite',
    async start() {
      dir = await mkdtemp(join(tmpdir(), 'esik-library-'));
    },
    async open() {
      const file = join(dir, `hub-${++count}.db`);
      const storage = await SqliteHubStorage.open(file);
      const library = await openSqliteLibrary(file);
      return { location: file, storage, library, close: async () => { await library.close(); await storage.close(); } };
    },
    reopen: (handle) => openSqliteLibrary(handle.location),
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): LibraryBackend {
  let server: TempPostgres | null = null;
  return {
    name: 'postgres',
    async start() {
      server = await startPostgres();
    },
    async open() {
      if (!server) throw new Error('postgres backend not started');
      const url = await server.createDatabase();
      const storage = await PgHubStorage.open(url, silentLogger);
      const library = await openPgLibrary(url, silentLogger);
      return { location: url, storage, library, close: async () => { await library.close(); await storage.close(); } };
    },
    reopen: (handle) => openPgLibrary(handle.location, silentLogger),
    stop: async () => server?.stop(),
  };
}

export const libraryBackends: ReadonlyArray<[string, () => LibraryBackend]> = [
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
];
