// The console's tables live in the hub's own database, whichever storage it runs on: one
// transaction log, one backup, one place where erasure has to happen. PostgreSQL's module is
// loaded only for a hub that runs on it (as in open-storage.ts).
import { SqliteHubStorage } from '../sqlite-storage.js';
import type { HubStorage } from '../storage.js';
import { ConsentStore } from './consent-store.js';
import { SqliteConsoleStore } from './sqlite-store.js';
import { SqlitePeopleStore, type PeopleStore } from './people-store.js';
import type { ConsoleStore, RosterPerson } from './store.js';

export async function consoleStoreFor(storage: HubStorage): Promise<ConsoleStore> {
  if (storage instanceof SqliteHubStorage) return withOpenedRoster(new SqliteConsoleStore(storage.database), storage);
  const { PgHubStorage } = await import('../pg-storage.js');
  const { PgConsoleStore } = await import('./pg-store.js');
  if (storage instanceof PgHubStorage) return withOpenedRoster(new PgConsoleStore(storage.database), storage);
  throw new Error('the console needs the hub on SQLite or PostgreSQL');
}

/**
 * The roster's names are sealed with per-person keys (hub/keys): the console reads its people
 * through the storage, which opens them, instead of the store's own SQL over the stored JSON (a
 * person whose key was destroyed is left out). The rest of the store is untouched.
 */
function withOpenedRoster(store: ConsoleStore, storage: HubStorage): ConsoleStore {
  const rosterPeople = (): Promise<RosterPerson[]> => openedRosterPeople(storage);
  return new Proxy(store, { get: (target, prop, receiver): unknown => (prop === 'rosterPeople' ? rosterPeople : Reflect.get(target, prop, receiver)) });
}

async function openedRosterPeople(storage: HubStorage): Promise<RosterPerson[]> {
  const people: RosterPerson[] = [];
  let since: number | null = null;
  for (;;) {
    const page = await storage.rosterPage(since, 1000, true);
    if (!page) return people;
    for (const change of page.changes) {
      if (change.op !== 'upsert' || change.type !== 'person' || change.data.name === '') continue;
      const { id, name, group, role, status } = change.data;
      people.push({ id, name, group, role, status });
    }
    if (!page.more) return people;
    since = page.cursor;
  }
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
