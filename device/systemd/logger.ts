// Log hygiene for journald: pino writes one JSON object per line on stdout, and journald keeps it.
// Anything that could be a secret is censored before it is serialised, wherever it appears in the
// first levels of a log object (tokens, keys, passwords, Authorization headers, board tokens).
import type { LoggerOptions } from 'pino';

export const LOG_REDACT_PATHS = [
  'token',
  'authorization',
  'password',
  'secret',
  'key',
  'privateKey',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.secret',
  '*.key',
  '*.privateKey',
  '*.*.token',
  '*.*.authorization',
  '*.*.Authorization',
  '*.*.password',
  '*.*.secret',
  'req.headers.authorization',
  'headers.authorization',
  'headers.Authorization',
  'config.board.token',
  'config.sync.token',
];

export const LOG_REDACT: NonNullable<LoggerOptions['redact']> = { paths: LOG_REDACT_PATHS, censor: '[redacted]' };
