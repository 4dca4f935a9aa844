// The sync client's back-off is the shared one (lib/backoff.ts).
export { DEFAULT_BACKOFF, fullJitterDelay, parseRetryAfter, type BackoffPolicy } from '../../lib/index.js';
