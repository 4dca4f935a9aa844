// Small helpers every program of esik shares (kiosk, board thread, hub); nothing here knows about doors.
export { closeWithin, DEFAULT_CLOSE_GRACE_MS } from './http-close.js';
export { clientAddress, DEFAULT_CONNECTION_LIMITS, HEADERS_TIMEOUT_MS, isLoopbackAddress, limitConnections, normalizeAddress, shortenHeadersTimeout } from './connection-limits.js';
export type { ConnectionCounts, ConnectionLimits } from './connection-limits.js';
export { fsyncPath, fsyncTree, safeSymlinkSwap, safeWriteFile } from './durable-write.js';
export { DEFAULT_BACKOFF, exponentialDelay, fullJitterDelay, parseRetryAfter } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { workerScript } from './worker-script.js';
export { errorCode, isErrno } from './errno.js';
export { makeDatabaseFilePrivate, makeDirectoryPrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';
export { DURABILITY_PRAGMAS, openSqliteFile } from './sqlite.js';
export { createFieldCipher, FieldCipherError } from './field-cipher.js';
export type { FieldCipher } from './field-cipher.js';
export { ean13CheckDigit, isbn10CheckChar, isbn10To13, isValidEan13, isValidIsbn10, parseBarcode } from './barcode.js';
export type { Barcode, BarcodeKind, BarcodeProblem, BarcodeResult } from './barcode.js';
export { PollingLoop } from './polling-loop.js';
export { ConnectionGatekeeper } from './gatekeeper.js';
export type { GatekeeperLogger, GatekeeperOptions } from './gatekeeper.js';
