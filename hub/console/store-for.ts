// The console's tables live in the hub's own database, whichever storage it runs on: one
// transaction log, one backup, one place where erasure has to happen. PostgreSQL's module is
// loaded only for a hub that runs on it (as in open-storage.ts).
import { SqliteHubStorage } from '../sqlite-storage.js';
import type { HubStorage } from '../storage.js';
import { ConsentStore } from './consent-store.js';
import { SqliteConsoleStore } from './sqlite-store.js';
import { SqlitePeopleStore, type PeopleStore } from './people-store.js';
import type { ConsoleStore } from './store.js';

export async function consoleStoreFor(storage: HubStorage): Promise<ConsoleStore> {
  if (storage instanceof SqliteHubStorage) return new SqliteConsoleStore(storage.database);
  const { PgHubStorage } = await import('../pg-storage.js');
  const { PgConsoleStore } = await import('./pg-store.js');
  if (storage instanceof PgHubStorage) return new PgConsoleStore(storage.database);
  throw new Error('the console needs the hub on SQLite or PostgreSQL');
}

export async function peopleStoreFor(storage: HubStorage): Promise<PeopleStore> {
  if (storage instanceof SqliteHubStorage) return new SqlitePeopleStore(storage.database);
  const { PgHubStorage } = await import('../pg-storage.js');
  const { PgPeopleStore } = await import('./people-pg-store.js');
  if (storage instanceof PgHubStorage) return new PgPeopleStore(storage.database);
  throw new Error('the console needs the hub on SQLite or PostgreSQL');
}

export async function consentStoreFor(storage: HubStorage): Promise<ConsentStore> {
  if (storage instanceof SqliteHubStorage) return ConsentStore.sqlite(storage.database);
  const { PgHubStorage } = await import('../pg-storage.js');
  if (storage instanceof PgHubStorage) return ConsentStore.postgres(storage.database);
  throw new Error('the console needs the hub on SQLite or PostgreSQL');
}
