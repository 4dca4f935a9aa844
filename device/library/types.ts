// The library desk's vocabulary. loanDecision() is a pure function of these: no clock reads, no
// I/O, no catalogue lookups, so a desk's decision can be replayed from its inputs, like the door's
// decide() and the canteen's mealDecision(). Dates a borrower sees (due dates) are school-local
// calendar dates ("2026-09-15"): a book is due at the end of that day, wherever the desk's clock is.
import type { Person } from '../../sync/store/index.js';

export const LIBRARY_ACTIONS = ['loan', 'return', 'renew'] as const;
export type LibraryAction = (typeof LIBRARY_ACTIONS)[number];

/**
 * Stable refusal codes: they go upstream in events, into reports and onto the desk's screen; never
 * rename one. Listed in the order the rule checks them: the first failing check names the refusal.
 */
export const LIBRARY_REFUSALS = [
  'unknown_borrower', // no person for this card, face or palm
  'borrower_inactive', // blocked or no longer enrolled
  'not_a_borrower', // no loan rule covers this role and class (visitors, guardians by default)
  'clock_untrusted', // the desk cannot compute a due date
  'unknown_copy', // the barcode is not a copy in the desk's catalogue
  'copy_unavailable', // withdrawn or recorded lost
  'reading_room_only', // a reference copy: read in the library, never taken out
  'already_on_loan', // loan: the copy is on loan (to this borrower or another)
  'not_on_loan', // return or renew: the copy is not on loan
  'not_borrowers_loan', // renew: the copy is on loan to someone else
  'overdue_loans', // loan: the borrower has an overdue book and the school blocks new loans then
  'loan_limit', // loan: the borrower already has as many books as the rule allows
  'renewal_limit', // renew: renewed as often as the rule allows
  'overdue_no_renewal', // renew: the loan is overdue and the school does not renew overdue loans
] as const;
export type LibraryRefusal = (typeof LIBRARY_REFUSALS)[number];

export type Borrower = Pick<Person, 'id' | 'role' | 'group' | 'status'>;

/** A copy as the desk's catalogue knows it; `id` is the copy's own barcode. */
export interface LibraryCopy {
  id: string;
  titleId: string;
  readingRoomOnly: boolean;
  status: 'available' | 'withdrawn' | 'lost';
}

/** A loan not yet returned, as the desk knows it (its own and those synced to it). */
export interface ActiveLoan {
  copyId: string;
  borrowerId: string;
  loanedAtMs: number;
  /** School-local date; the book is overdue from the day after. */
  dueDate: string;
  renewals: number;
}

/**
 * Loan limits and periods for some roles and classes. The first rule that covers the borrower
 * applies, so a school lists exceptions ("1А".."4Б": 2 books, 7 days) before its general rule.
 */
export interface LoanRule {
  id: string;
  roles: readonly Borrower['role'][];
  /** Classes ("5Б"); "*" = any class, and the only way a person without a class is covered. */
  groups: readonly string[];
  maxLoans: number;
  loanDays: number;
  maxRenewals: number;
}

export interface LibraryContext {
  rules: readonly LoanRule[];
  /** No new loan while the borrower has an overdue one. */
  blockLoansWhileOverdue: boolean;
  /** An overdue loan may still be renewed (the book is then due again from today). */
  renewOverdue: boolean;
  /** ISO weekdays the library is open (1 = Monday); a due date falling elsewhere moves to the next open day. */
  openWeekdays: readonly number[];
  /** School-local dates the library is closed (holidays). */
  closedDates: ReadonlySet<string>;
  /**
   * Take back a copy this desk does not know to be on loan (lent at another desk, or before this
   * desk's log began): the book is on the counter either way, and the hub closes the loan it knows
   * or flags the return. Absent = false.
   */
  acceptReturnsWithoutLoan?: boolean;
}

export interface LibraryRequest {
  action: LibraryAction;
  /** Who presented a card, face or palm; null when nobody was identified (a return needs no one). */
  borrower: Borrower | null;
  /** The scanned copy; null when the barcode is not in the catalogue. */
  copy: LibraryCopy | null;
  /** The copy's current loan, if it is on loan. */
  copyLoan: ActiveLoan | null;
  /** The borrower's current loans (empty for a return). */
  borrowerLoans: readonly ActiveLoan[];
  nowWallMs: number;
  utcOffsetMinutes: number;
  clockTrusted: boolean;
}

export type LibraryDecision =
  | { outcome: 'loan'; reason: null; ruleId: string; dueDate: string }
  | { outcome: 'renew'; reason: null; ruleId: string; dueDate: string; renewals: number }
  /** `overdueDays` is null when the desk's clock cannot tell (a return is never refused for that); `borrowerId` null for a return without a known loan. */
  | { outcome: 'return'; reason: null; borrowerId: string | null; overdueDays: number | null }
  | { outcome: 'refuse'; reason: LibraryRefusal };
