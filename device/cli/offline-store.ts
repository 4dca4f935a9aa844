// When the daemon is down, status and events tail read the store directly. Only ever opened after
// the admin socket did not answer, so two writers never share the database.
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { KioskClock } from '../clock.js';
import { databasePath, type LoadedConfig } from '../config/index.js';
import { loadOrCreateKeyFile } from '../security/template-key.js';
import { createFieldCipher, openStore, type Store } from '../../sync/store/index.js';

export async function withOfflineStore<T>(loaded: LoadedConfig, use: (store: Store) => Promise<T>): Promise<T> {
  const { config } = loaded;
  const logger = pino({ level: 'warn' }, process.stderr);
  const clock = new KioskClock({ utcOffsetMinutes: config.device.utcOffsetMinutes });
  const key = await loadOrCreateKeyFile(config.security.keyFile ?? `${config.device.stateDir}/template.key`);
  const store = await openStore({
    path: databasePath(config),
    deviceId: config.device.id,
    bootId: uuidv7(),
    clock,
    cipher: createFieldCipher(key.key, key.keyId),
    logger,
    skipIntegrityCheck: true,
  });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
