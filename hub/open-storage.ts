// Which storage a hub runs on, from one location: a postgres:// (or postgresql://) URL selects
// PostgreSQL; a plain path or a sqlite: URL selects SQLite. PostgreSQL's module is loaded only when
// a URL names it.
import { fileURLToPath } from 'node:url';
import type { PgLogger } from './pg-db.js';
import { SqliteHubStorage } from './sqlite-storage.js';
import type { HubStorage } from './storage.js';

export type StorageLocation = { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };

export function parseStorageLocation(location: string): StorageLocation {
  if (/^postgres(ql)?:\/\//i.test(location)) return { kind: 'postgres', url: location };
  if (location.startsWith('sqlite://')) return { kind: 'sqlite', file: fileURLToPath(`file://${location.slice('sqlite://'.length)}`) };
  if (location.startsWith('sqlite:')) return { kind: 'sqlite', file: location.slice('sqlite:'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new Error(`unsupported database URL scheme: ${location.split(':')[0] ?? ''} (postgres://, sqlite: or a file path)`);
  return { kind: 'sqlite', file: location };
}

export interface StorageOptions {
  /** PostgreSQL connections per hub process (default 10); several processes share the server's max_connections. */
  poolSize?: number;
}

/** Opens (and migrates) the storage `location` names. */
export async function openHubStorage(location: string, logger: PgLogger, options: StorageOptions = {}): Promise<HubStorage> {
  const parsed = parseStorageLocation(location);
  if (parsed.kind === 'sqlite') return SqliteHubStorage.open(parsed.file);
  const { PgHubStorage } = await import('./pg-storage.js');
  return PgHubStorage.open(parsed.url, logger, options.poolSize);
}
