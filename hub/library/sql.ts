// The one SQL face both storages give the library code: $1.. placeholders (SQLite's driver
// rewrites them), a write transaction and a committed read, like the canteen ledger's drivers.
export type LibraryParam = string | number | null;

export interface LibrarySql {
  query<T extends object>(sql: string, params?: readonly LibraryParam[]): Promise<T[]>;
}

export interface LibraryDriver {
  /** Runs `work` in one write transaction (retried from the start on a serialisation failure). */
  write<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T>;
  /** Runs `work` against committed data only. */
  read<T>(work: (sql: LibrarySql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface LoanRow {
  event_id: string;
  copy_id: string;
  borrower_id: string | null;
  device_id: string;
  loaned_ms: number;
  due_date: string | null;
  renewals: number;
  returned_ms: number | null;
  conflict: number;
}

export const LOAN_COLUMNS = 'event_id, copy_id, borrower_id, device_id, loaned_ms, due_date, renewals, returned_ms, conflict';
/** Stands for "not returned yet" in interval comparisons. */
export const OPEN_END = Number.MAX_SAFE_INTEGER;
