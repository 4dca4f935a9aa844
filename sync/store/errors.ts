// Errors the store raises, so that callers can tell "disk full, decide per fail mode and retry later"
// from "this file is damaged, quarantine it" from "this code is too old for this database".
import { errorCode } from '../../lib/index.js';

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** SQLITE_FULL (disk or max_page_count): the failed transaction left nothing behind; retry once space returns. */
export class StoreFullError extends StoreError {}

/** SQLITE_CORRUPT / SQLITE_NOTADB, at open or later, or a failed quick_check at open. */
export class StoreCorruptError extends StoreError {}

/** The database was written by a newer esik (user_version above SCHEMA_VERSION). */
export class StoreSchemaError extends StoreError {}

/** The field cipher cannot open what the database holds (wrong key file, or a tampered value). */
export class StoreKeyError extends StoreError {}

/** A one-time credential was already consumed by an earlier grant. */
export class CredentialConsumedError extends StoreError {}

/** A local change would store a template for a person who is blocked or has not consented. */
export class ConsentError extends StoreError {}

/** The store was closed; nothing more can be written through this handle. */
export class StoreClosedError extends StoreError {}

/** Wraps a raw sqlite3 error into the store's own classes; anything else passes through unchanged. */
export function mapSqliteError(error: unknown, context: string): Error {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  switch (errorCode(error)) {
    case 'SQLITE_FULL':
      return new StoreFullError(`${context}: storage full (${message})`, { cause: error });
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return new StoreCorruptError(`${context}: database file is damaged (${message})`, { cause: error });
    default:
      return error instanceof Error ? error : new StoreError(`${context}: ${message}`, { cause: error });
  }
}
