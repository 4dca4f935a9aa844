// The store's public face: the store imports only lib/ and protocol/ (the words it shares with the
// wire), and the rest of esik imports the store only through here.
export * from './types.js';
export { SCHEMA_VERSION } from './migrations.js';
export { readSchemaVersion } from './schema-version.js';
export { type FieldCipher, FieldCipherError, createFieldCipher } from './cipher.js';
export { type SalvageReport, UNCERTAIN_SEQ_MARGIN, quarantineDatabase, recoverCorruptStore } from './salvage.js';
export {
  type DoorRecord, type SalvagedEvent, type Store, type StoreEventLog, type StoreOptions, type StoreOutbox,
  type StoreRoster, openStore,
} from './store.js';
export {
  ConsentError, CredentialConsumedError, StoreClosedError, StoreCorruptError, StoreError, StoreFullError, StoreKeyError,
  StoreSchemaError,
} from './errors.js';
export { isoWithOffset } from './event-codec.js';
export { openReadOnlyStore } from './read-only.js';
export type { ReadOnlyStore } from './read-only.js';
