export { Kiosk, type KioskOptions } from './kiosk.js';
export { identify, maskCredentialValue, type BiometricIdentifier, type BiometricResult, type Identification } from './identify.js';
export { BoundedSerialQueue } from './reader-queue.js';
export type { FailMode, KioskAlarm, KioskDecision, KioskDoor, KioskEventLog, KioskEvents } from './types.js';
export { keyFileOf, openKioskStore, openKioskStoreAtBoot, openStoreWithKeyFile, quarantineFolder } from './open-store.js';
export type { KeyedOpenOptions, KeyedStore, OpenedStore, OpenKioskStoreOptions } from './open-store.js';
export { buildHardware } from './hardware.js';
export { seedChanges, seedRosterIfEmpty } from './seed-roster.js';
