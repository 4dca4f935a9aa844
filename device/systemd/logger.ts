// The kiosk's logger, built in one place. Under systemd pino writes one JSON object per line on
// stdout and journald keeps it; when stdout is a terminal (`npm start`, a technician running
// `esik run` by hand) the same records go through pino-pretty so they read like a program's output.
// Anything that could be a secret is censored before it is serialised, wherever it appears in the
// first levels of a log object (tokens, keys, passwords, Authorization headers, board tokens).
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';

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

export type LogFormat = 'pretty' | 'json';

/** Pretty only for a person at a terminal; JSON for journald, pipes and files (machines parse it). */
export function logFormatFor(stdout: { isTTY?: boolean }): LogFormat {
  return stdout.isTTY === true ? 'pretty' : 'json';
}

export interface KioskLoggerOptions {
  /** Fields on every record (the device id). */
  base: Record<string, unknown>;
  /** The stream the logs go to; its isTTY decides the format. Defaults to process.stdout. */
  stdout?: { isTTY?: boolean };
  /** Where records are written (tests pass a stream); defaults to file descriptor 1. */
  destination?: DestinationStream;
  level?: string;
}

export function createKioskLogger(options: KioskLoggerOptions): Logger {
  const settings: LoggerOptions = { base: options.base, redact: LOG_REDACT, level: options.level ?? 'info' };
  if (logFormatFor(options.stdout ?? process.stdout) === 'json') {
    return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
  }
  // In this thread and synchronous: a terminal is for watching, and a worker-thread transport
  // would be one more thread on a two-core Pi for no gain.
  const pretty = pinoPretty({
    colorize: options.destination === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
    destination: options.destination ?? 1,
  });
  return pino(settings, pretty);
}
