export { SyncClient, type SyncClientOptions, type SyncCycleResult, type SyncLinkState, type SyncStatus, type SyncTimers } from './sync-client.js';
export { createHubDispatcher, publicKeyPin, PinMismatchError, type HubTlsOptions } from './tls.js';
export { DEFAULT_BACKOFF, fullJitterDelay, parseRetryAfter, type BackoffPolicy } from './backoff.js';
export { SyncError, type SyncErrorKind } from './http.js';
export type { SeqConflict } from './pusher.js';
export * from './wire.js';
