// Per-person keys on the hub (crypto-shredding): the key store, the master key that wraps its keys,
// and the roster's sealing.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadMasterKey } from './master-key.js';
import { SqlitePersonKeyStore, type PersonKeyStore } from './person-keys.js';

export { loadMasterKey } from './master-key.js';
export { SqlitePersonKeyStore, type PersonKeyStore } from './person-keys.js';
export { RosterSealer, type SealedRosterRow } from './roster-seal.js';

/** Where a hub's person keys are: the key store file and the master key file wrapping its keys. */
export interface KeyStoreLocation {
  keyStore: string;
  masterKey: string;
}

/** Beside a SQLite hub database: `hub.db` has `hub.db.keys` and `hub.db.master-key`. */
export function keyStoreBeside(databaseFile: string): KeyStoreLocation {
  return { keyStore: `${databaseFile}.keys`, masterKey: `${databaseFile}.master-key` };
}

/**
 * A PostgreSQL hub's key store when none is configured: a file per server and database under the
 * user's state folder (~/.local/state/esik-hub). The keys must not be in PostgreSQL (its WAL,
 * replicas and backups would keep them); a production hub names its own place (docs/hub.md).
 */
export function defaultKeyStoreForUrl(url: string): KeyStoreLocation {
  const parsed = new URL(url);
  const tag = createHash('sha256').update(`${parsed.hostname}:${parsed.port}${parsed.pathname}`).digest('hex').slice(0, 16);
  const dir = join(homedir(), '.local', 'state', 'esik-hub');
  return { keyStore: join(dir, `keys-${tag}.sqlite`), masterKey: join(dir, `keys-${tag}.master-key`) };
}

/** Opens the key store at `location`, its master key created on first start. */
export async function openPersonKeys(location: KeyStoreLocation): Promise<PersonKeyStore> {
  await mkdir(dirname(location.keyStore), { recursive: true, mode: 0o700 });
  return SqlitePersonKeyStore.open(location.keyStore, await loadMasterKey(location.masterKey));
}
