// Opens the library on the database a hub runs on, from the same location string (open-storage.ts):
// SQLite through its own connection to the file, PostgreSQL through its own small pool, loaded only
// when a URL names it. The hub storage must have been opened first (it applies the migrations).
import { parseStorageLocation } from '../open-storage.js';
import type { PgLogger } from '../pg-db.js';
import type { HubStorage } from '../storage.js';
import { DEFAULT_LOAN_FOLDER_OPTIONS, LoanFolder, type LoanFolderOptions } from './folder.js';
import { openSqliteLibrary } from './sqlite-library.js';
import type { LibraryStore } from './types.js';

export interface OpenedLibrary {
  store: LibraryStore;
  folder: LoanFolder;
  /** Stops the folder, then closes the library's connection. */
  close(): Promise<void>;
}

export async function openLibrary(location: string, storage: HubStorage, logger: PgLogger, options: LoanFolderOptions = DEFAULT_LOAN_FOLDER_OPTIONS, now: () => number = Date.now): Promise<OpenedLibrary> {
  const parsed = parseStorageLocation(location);
  let store: LibraryStore;
  if (parsed.kind === 'sqlite') store = await openSqliteLibrary(parsed.file);
  else store = await (await import('./pg-library.js')).openPgLibrary(parsed.url, logger);
  const folder = new LoanFolder(storage, store, logger, now, options);
  return {
    store,
    folder,
    close: async () => {
      await folder.stop();
      await store.close();
    },
  };
}

/** ESIK_HUB_LIBRARY_FOLD_MS: how often the folder looks for new loans (default 2 s, 100 ms-10 min). */
export function loanFolderOptionsFromEnv(env: NodeJS.ProcessEnv): LoanFolderOptions {
  const raw = env.ESIK_HUB_LIBRARY_FOLD_MS;
  if (raw === undefined || raw === '') return DEFAULT_LOAN_FOLDER_OPTIONS;
  const intervalMs = Number(raw);
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 600_000) throw new Error(`invalid ESIK_HUB_LIBRARY_FOLD_MS ${raw}: whole milliseconds, 100 to 600000`);
  return { ...DEFAULT_LOAN_FOLDER_OPTIONS, intervalMs };
}
