// The requests' tables live in the hub's own database, whichever storage it runs on (as the
// console's do, hub/console/store-for.ts). PostgreSQL's module is loaded only for a hub on it.
import { SqliteHubStorage } from '../sqlite-storage.js';
import type { HubStorage } from '../storage.js';
import { PrivacyService, type PrivacyServiceOptions } from './service.js';
import { SqlitePrivacyStore } from './sqlite-store.js';
import type { PrivacyStore } from './store.js';

/** The store for `storage`, migrated; null for a storage that is neither (a test double). */
export async function privacyStoreFor(storage: HubStorage): Promise<PrivacyStore | null> {
  let store: PrivacyStore | null = null;
  if (storage instanceof SqliteHubStorage) store = new SqlitePrivacyStore(storage.database);
  else {
    const { PgHubStorage } = await import('../pg-storage.js');
    const { PgPrivacyStore } = await import('./pg-store.js');
    if (storage instanceof PgHubStorage) store = new PgPrivacyStore(storage.database);
  }
  await store?.migrate();
  return store;
}

/** The service over the hub's database; null when the storage is neither SQLite nor PostgreSQL. */
export async function privacyServiceFor(storage: HubStorage, options: Omit<PrivacyServiceOptions, 'storage' | 'store'>): Promise<PrivacyService | null> {
  const store = await privacyStoreFor(storage);
  return store ? new PrivacyService({ ...options, storage, store }) : null;
}
