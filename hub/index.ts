export { buildHub, type HubOptions } from './server.js';
export { SqliteHubStorage } from './sqlite-storage.js';
export type { HubStorage, HubEvent, DeviceRecord, CommandRecord, RosterPageResult } from './storage.js';
export { generateToken, hashToken, verifyToken } from './auth.js';
