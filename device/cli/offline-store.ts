// When the daemon is down, status and events tail read the store directly. Only ever opened after
// the admin socket did not answer, so two writers never share the database.
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { KioskClock } from '../clock.js';
import type { LoadedConfig } from '../config/index.js';
import { openKioskStore } from '../kiosk/open-store.js';
import type { Store } from '../../sync/store/index.js';

export async function withOfflineStore<T>(loaded: LoadedConfig, use: (store: Store) => Promise<T>): Promise<T> {
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
