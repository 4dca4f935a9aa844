// The school library on the hub (issue 20): the catalogue (titles, and copies each with its own
// barcode) and the loans folded from the desks' events, on SQLite or PostgreSQL behind one
// interface (library-core.ts over sqlite-library.ts / pg-library.ts).
import type { HubEvent } from '../storage.js';

export const COPY_STATUSES = ['available', 'withdrawn', 'lost'] as const;
export type CopyStatus = (typeof COPY_STATUSES)[number];

export interface TitleRecord {
  /** "isbn:<ISBN-13>" for a book with an ISBN, else "local:<hash of title, author, year>". */
  id: string;
  isbn13: string | null;
  title: string;
  author: string | null;
  year: number | null;
}

export interface CopyRecord {
  /** The copy's own barcode. */
  barcode: string;
  titleId: string;
  readingRoomOnly: boolean;
  status: CopyStatus;
}

/** One valid CSV row: a copy and its title. */
export interface CatalogueRow {
  line: number;
  title: TitleRecord;
  copy: CopyRecord;
}

export interface RowError {
  /** The file's line number where the row starts (the header is line 1). */
  line: number;
  message: string;
}

export interface ImportResult {
  /** False when the file had errors and skipping them was not asked for: nothing was written. */
  imported: boolean;
  rows: number;
  titles: number;
  copies: number;
  errors: RowError[];
}

export type LoanFlagKind = 'double_loan' | 'unknown_copy' | 'return_without_loan' | 'renew_without_loan' | 'invalid_event';

/** Something the fold could not settle by itself: shown to the librarian, never merged away. */
export interface LoanFlag {
  id: number;
  kind: LoanFlagKind;
  copyId: string;
  eventId: string;
  /** The other loan in a double loan; '' otherwise. */
  otherEventId: string;
  detail: Record<string, unknown>;
  createdMs: number;
  /** When a librarian marked it resolved (console), and who; null while it is open. */
  resolvedMs: number | null;
  resolvedBy: string | null;
}

export interface LoanRecord {
  /** The id of the library.loan event. */
  eventId: string;
  copyId: string;
  borrowerId: string | null;
  deviceId: string;
  loanedMs: number;
  dueDate: string | null;
  renewals: number;
  returnedMs: number | null;
  /** Part of a double loan the librarian has to look at. */
  conflict: boolean;
}

export interface LibraryStore {
  close(): Promise<void>;
  /** Writes titles and copies (insert or update) in one transaction. */
  saveRows(rows: readonly CatalogueRow[], nowMs: number): Promise<{ titles: number; copies: number }>;
  title(id: string): Promise<TitleRecord | null>;
  copy(barcode: string): Promise<CopyRecord | null>;
  counts(): Promise<{ titles: number; copies: number }>;
  /** Every copy, by barcode: the desks' catalogue snapshot (about 60 bytes a copy on the wire). */
  allCopies(): Promise<CopyRecord[]>;

  /** The hub seq the loan fold has read up to. */
  cursor(): Promise<number>;
  /**
   * Folds one page of the hub's events (those after `from`, up to `to`) and moves the cursor from
   * `from` to `to` in one transaction. False when another process moved the cursor first.
   */
  foldPage(from: number, to: number, events: readonly HubEvent[], nowMs: number): Promise<boolean>;
  loansOfCopy(copyId: string): Promise<LoanRecord[]>;
  openLoans(borrowerId: string | null): Promise<LoanRecord[]>;
  flags(afterId: number, limit: number): Promise<LoanFlag[]>;
  /**
   * Marks a flag resolved, once: 'resolved' now, 'already' if it was (the first resolution stands),
   * 'missing' for no such flag. Nothing about the loans changes: the flag was the librarian's to look at.
   */
  resolveFlag(id: number, by: string, nowMs: number): Promise<'resolved' | 'already' | 'missing'>;
  /** Loans (returned or not) per borrower since `sinceMs`. */
  loanCounts(sinceMs: number): Promise<Array<{ borrowerId: string | null; loans: number }>>;
  /** Titles by loans since `sinceMs`, most first. */
  mostRead(sinceMs: number, limit: number): Promise<Array<{ titleId: string; title: string; loans: number }>>;
}
