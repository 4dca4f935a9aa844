export { SyncClient, type SyncClientOptions, type SyncCycleResult, type SyncLinkState, type SyncStatus, type SyncTimers } from './sync-client.js';
export { createHubDispatcher, publicKeyPin, PinMismatchError, type HubTlsOptions } from './tls.js';
export { DEFAULT_BACKOFF, fullJitterDelay, parseRetryAfter, type BackoffPolicy } from './backoff.js';
export { HubHttp, SyncError, type HubHttpOptions, type HubResponse, type SyncErrorKind } from './http.js';
export type { SeqConflict } from './pusher.js';
// The wire protocol is its own module (protocol/); the kiosk's code reaches it through here too.
export * from '../../protocol/index.js';
export { toRosterChange, toWireEvent } from './wire-mapping.js';
