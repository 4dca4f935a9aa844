// When the daemon is down, the CLI reads (or, for the few commands that must, writes) the store
// directly. Only ever opened after the admin socket did not answer, so two writers never share
// the database. Reads are the default and touch nothing on disk (sync/store/read-only.ts); a
// command that writes says so by calling withWritableOfflineStore.
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { KioskClock } from '../clock.js';
import { databasePath, type LoadedConfig } from '../config/index.js';
import { openKioskStore } from '../kiosk/index.js';
import type { Store } from '../../sync/store/index.js';
import { openReadOnlyStore, type ReadOnlyStore } from '../../sync/store/index.js';

/** status, events tail, sync status: no key needed (events are not sealed), nothing written. */
export async function withReadOnlyStore<T>(loaded: LoadedConfig, use: (store: ReadOnlyStore) => Promise<T>): Promise<T> {
  const store = await openReadOnlyStore(databasePath(loaded.config));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * Opens the store read-write with its template key (migrating it if needed), for the commands
 * whose purpose is a write: enrol, pin set and key rotate (audit events, templates, re-sealing),
 * sync now, and the updater's audit record.
 */
export async function withWritableOfflineStore<T>(loaded: LoadedConfig, use: (store: Store) => Promise<T>): Promise<T> {
  const { config } = loaded;
  const clock = new KioskClock({ utcOffsetMinutes: config.device.utcOffsetMinutes });
  const logger = pino({ level: 'warn' }, process.stderr);
  const store = await openKioskStore(config, { bootId: uuidv7(), clock, logger, createKey: false, skipIntegrityCheck: true });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
