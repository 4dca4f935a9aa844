export { buildHub, type HubOptions } from './server.js';
export { SqliteHubStorage } from './sqlite-storage.js';
export { PgHubStorage } from './pg-storage.js';
export { openHubStorage, parseStorageLocation, type StorageLocation } from './open-storage.js';
export type { HubStorage, HubEvent, DeviceRecord, CommandRecord, RosterPageResult, IngestItem, EventReadResult, SeqAlarm, RetentionStep } from './storage.js';
export { EventRetention, DEFAULT_RETENTION, retentionCutoff, type RetentionOptions, type RetentionRun } from './retention.js';
export { generateToken, hashToken, verifyToken } from './auth.js';
export { MIGRATIONS } from './pg-schema.js';
export { KioskErasureFolder, DEFAULT_KIOSK_ERASURE_OPTIONS, KIOSK_ERASURE_CURSOR, type KioskErasureOptions } from './kiosk-erasures.js';
