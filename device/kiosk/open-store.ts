// Opens the kiosk's database with its template key. An interrupted key rotation leaves the next
// key in `<keyFile>.next`: the store's key check tells which one sealed the data.
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { databasePath, type KioskConfig } from '../config/index.js';
import { loadKeyCandidates } from '../security/template-key.js';
import { createFieldCipher, openStore, StoreKeyError, type EventClock, type Store } from '../../sync/store/index.js';

export function keyFileOf(config: KioskConfig): string {
  return config.security.keyFile ?? resolve(config.device.stateDir, 'template.key');
}

export interface OpenKioskStoreOptions {
  bootId: string;
  clock: EventClock;
  logger: Logger;
  /** The daemon creates a missing key on first start; the CLI must never invent one. */
  createKey: boolean;
  skipIntegrityCheck?: boolean;
}

export async function openKioskStore(config: KioskConfig, options: OpenKioskStoreOptions): Promise<Store> {
  const keyFile = keyFileOf(config);
  if (!options.createKey) {
    await access(keyFile).catch(() => {
      throw new Error(`no template key at ${keyFile} (has the kiosk run with this configuration?)`);
    });
  }
  let lastKeyError: unknown = null;
  for (const key of await loadKeyCandidates(keyFile)) {
    try {
      return await openStore({
        path: databasePath(config),
        deviceId: config.device.id,
        bootId: options.bootId,
        clock: options.clock,
        cipher: createFieldCipher(key.key, key.keyId),
        logger: options.logger,
        skipIntegrityCheck: options.skipIntegrityCheck,
      });
    } catch (error) {
      if (!(error instanceof StoreKeyError)) throw error;
      lastKeyError = error;
    }
  }
  throw lastKeyError instanceof Error ? lastKeyError : new Error(`no key in ${keyFile} opens the database`);
}
