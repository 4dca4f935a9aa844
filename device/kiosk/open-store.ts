// Opening the kiosk's store, all of it in one place, in this order:
//  1. the template key file (the daemon creates it on first start; the CLI never invents one), and
//     the next key an interrupted rotation left in `<keyFile>.next`: the store's key check tells which
//     one sealed the data, and when it was the next one the rotation is finished here;
//  2. the database, opened with that key;
//  3. at boot only, a damaged database (truncated file, garbage pages, a header that is not SQLite)
//     must not keep the door offline: its files are moved once, straight into
//     `<stateDir>/quarantine/` (timestamped, never deleted: they are evidence and a technician may
//     recover more from them), every readable unsent event is salvaged into a fresh database under
//     the same key with its id and seq, and the roster is left without a cursor so the next sync
//     pulls it whole;
//  4. a report the composition root turns into the db_corrupt alarm, a degraded health check and
//     `esik status` (device/recovery/).
// Other failures (wrong key, newer schema, unreadable key file) still refuse to start: they are not
// damage, and rebuilding would throw good data away. A torn WAL needs none of this: SQLite drops
// frames whose checksum does not match.
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { databasePath, type KioskConfig } from '../config/index.js';
import type { StoreRecoveryReport } from '../recovery/index.js';
import { loadKeyCandidates, promoteNextKeyFile, TemplateKeyError, type TemplateKey } from '../security/template-key.js';
import {
  type EventClock, type SalvageReport, type Store, type StoreOptions, createFieldCipher, openStore, recoverCorruptStore, StoreCorruptError, StoreKeyError,
} from '../../sync/store/index.js';

export function keyFileOf(config: KioskConfig): string {
  return config.security.keyFile ?? resolve(config.device.stateDir, 'template.key');
}

/** Where damaged databases are kept. */
export function quarantineFolder(stateDir: string): string {
  return join(stateDir, 'quarantine');
}

export interface KeyedStore {
  store: Store;
  keyId: string;
  /** Non-null when the database was damaged, quarantined and rebuilt. */
  recovered: SalvageReport | null;
}

export interface KeyedOpenOptions {
  /** Where a damaged database is moved before it is rebuilt; without it a damaged database is refused (StoreCorruptError). */
  quarantineFolder?: string;
}

/**
 * Opens the store with the key in `file` (created when missing). If the store refuses that key and
 * a `.next` key opens it, a rotation was interrupted after the store switched: `.next` is promoted.
 */
export async function openStoreWithKeyFile(file: string, storeOptions: Omit<StoreOptions, 'cipher'>, options: KeyedOpenOptions = {}): Promise<KeyedStore> {
  const candidates = await loadKeyCandidates(file);
  let lastKeyError: unknown = null;
  for (const [index, key] of candidates.entries()) {
    let opened: KeyedStore;
    try {
      opened = await openWithKey(key, storeOptions, options.quarantineFolder);
    } catch (error) {
      if (!(error instanceof StoreKeyError)) throw error;
      lastKeyError = error;
      continue;
    }
    if (index > 0) {
      await promoteNextKeyFile(file);
      storeOptions.logger.child({ ns: 'template-key' }).warn({ keyId: key.keyId }, 'finished an interrupted template key rotation');
    }
    return opened;
  }
  throw lastKeyError instanceof Error ? lastKeyError : new TemplateKeyError(`no key in ${file} opens the database`);
}

async function openWithKey(key: TemplateKey, storeOptions: Omit<StoreOptions, 'cipher'>, folder: string | undefined): Promise<KeyedStore> {
  const options: StoreOptions = { ...storeOptions, cipher: createFieldCipher(key.key, key.keyId) };
  try {
    return { store: await openStore(options), keyId: key.keyId, recovered: null };
  } catch (error) {
    if (!(error instanceof StoreCorruptError) || folder === undefined) throw error;
    storeOptions.logger.child({ ns: 'template-key' }).error({ err: error }, 'database damaged; quarantining and salvaging');
    const { store, report } = await recoverCorruptStore(options, folder);
    return { store, keyId: key.keyId, recovered: report };
  }
}

export interface OpenKioskStoreOptions {
  bootId: string;
  clock: EventClock;
  logger: Logger;
  /** The daemon creates a missing key on first start; the CLI must never invent one. */
  createKey: boolean;
  skipIntegrityCheck?: boolean;
}

/** The store with its key, never rebuilt (the CLI's writable offline store). */
export async function openKioskStore(config: KioskConfig, options: OpenKioskStoreOptions): Promise<Store> {
  const keyFile = keyFileOf(config);
  if (!options.createKey) {
    await access(keyFile).catch(() => {
      throw new Error(`no template key at ${keyFile} (has the kiosk run with this configuration?)`);
    });
  }
  const { bootId, clock, logger, skipIntegrityCheck } = options;
  const opened = await openStoreWithKeyFile(keyFile, { path: databasePath(config), deviceId: config.device.id, bootId, clock, logger, skipIntegrityCheck });
  return opened.store;
}

export interface OpenedStore {
  store: Store;
  /** Non-null when the database was damaged and rebuilt at this boot. */
  recovery: StoreRecoveryReport | null;
}

/** The daemon at boot: steps 1 to 4 above. The caller records dbCorruptAlarmDraft(recovery) once the kiosk is up. */
export async function openKioskStoreAtBoot(config: KioskConfig, options: { bootId: string; clock: EventClock; logger: Logger }): Promise<OpenedStore> {
  const { bootId, clock, logger } = options;
  const storeOptions = { path: databasePath(config), deviceId: config.device.id, bootId, clock, logger };
  const opened = await openStoreWithKeyFile(keyFileOf(config), storeOptions, { quarantineFolder: quarantineFolder(config.device.stateDir) });
  const salvage = opened.recovered;
  if (salvage === null) return { store: opened.store, recovery: null };
  const recovery: StoreRecoveryReport = {
    quarantinedAs: salvage.quarantinedAs,
    salvagedEvents: salvage.salvagedEvents,
    highWaterSeq: salvage.highWaterSeq,
    unreadableRanges: salvage.unreadableRanges,
    gaps: salvage.gaps,
    rosterFullPullPending: true,
    atWallMs: clock.wallMs(),
  };
  logger.child({ ns: 'store-recovery' }).error(recovery, 'ALARM: database was damaged; quarantined, unsent events salvaged, roster to be pulled again');
  return { store: opened.store, recovery };
}
