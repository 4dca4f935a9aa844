// The loan rule, as pure functions. The order of the checks is part of the contract: the first
// failing one names the refusal. Who borrows comes first (an unknown card is told so before
// anything about the book), then the copy, then the borrower's own loans and limits.
import { toLocalTime } from '../policy/index.js';
import { daysBetween, dueDateFrom, isOverdue } from './calendar.js';
import type { Borrower, LibraryContext, LibraryDecision, LibraryRefusal, LibraryRequest, LoanRule } from './types.js';

function refuse(reason: LibraryRefusal): LibraryDecision {
  return { outcome: 'refuse', reason };
}

/** A rule with limits that are not whole non-negative numbers covers nobody (fail closed). */
function wellFormed(rule: LoanRule): boolean {
  return [rule.maxLoans, rule.loanDays, rule.maxRenewals].every((n) => Number.isSafeInteger(n) && n >= 0) && rule.loanDays >= 1;
}

export function ruleFor(borrower: Borrower, rules: readonly LoanRule[]): LoanRule | null {
  return (
    rules.find(
      (rule) =>
        wellFormed(rule) &&
        rule.roles.includes(borrower.role) &&
        (rule.groups.includes('*') || (borrower.group !== null && rule.groups.includes(borrower.group))),
    ) ?? null
  );
}

function checkBorrower(request: LibraryRequest, context: LibraryContext): LibraryRefusal | { borrower: Borrower; rule: LoanRule } {
  const borrower = request.borrower;
  if (borrower === null) return 'unknown_borrower';
  if (borrower.status !== 'active') return 'borrower_inactive';
  const rule = ruleFor(borrower, context.rules);
  if (rule === null) return 'not_a_borrower';
  if (!request.clockTrusted) return 'clock_untrusted';
  return { borrower, rule };
}

function decideLoan(request: LibraryRequest, context: LibraryContext, today: string): LibraryDecision {
  const who = checkBorrower(request, context);
  if (typeof who === 'string') return refuse(who);
  const { copy } = request;
  if (copy === null) return refuse('unknown_copy');
  if (copy.status !== 'available') return refuse('copy_unavailable');
  if (copy.readingRoomOnly) return refuse('reading_room_only');
  if (request.copyLoan !== null) return refuse('already_on_loan');
  const own = request.borrowerLoans.filter((loan) => loan.borrowerId === who.borrower.id);
  if (context.blockLoansWhileOverdue && own.some((loan) => isOverdue(loan.dueDate, today))) return refuse('overdue_loans');
  if (own.length >= who.rule.maxLoans) return refuse('loan_limit');
  return { outcome: 'loan', reason: null, ruleId: who.rule.id, dueDate: dueDateFrom(today, who.rule.loanDays, context) };
}

function decideRenew(request: LibraryRequest, context: LibraryContext, today: string): LibraryDecision {
  const who = checkBorrower(request, context);
  if (typeof who === 'string') return refuse(who);
  const { copy, copyLoan } = request;
  if (copy === null) return refuse('unknown_copy');
  if (copyLoan === null) return refuse('not_on_loan');
  if (copyLoan.borrowerId !== who.borrower.id) return refuse('not_borrowers_loan');
  if (copyLoan.renewals >= who.rule.maxRenewals) return refuse('renewal_limit');
  if (!context.renewOverdue && isOverdue(copyLoan.dueDate, today)) return refuse('overdue_no_renewal');
  // A renewal runs a full period from today, but never shortens a loan renewed early.
  const fromToday = dueDateFrom(today, who.rule.loanDays, context);
  const dueDate = fromToday > copyLoan.dueDate ? fromToday : copyLoan.dueDate;
  return { outcome: 'renew', reason: null, ruleId: who.rule.id, dueDate, renewals: copyLoan.renewals + 1 };
}

/** A return is one scan: whoever brings the book back, and whatever the desk's clock says. */
function decideReturn(request: LibraryRequest, context: LibraryContext, today: string | null): LibraryDecision {
  const { copy, copyLoan } = request;
  if (copy === null) return refuse('unknown_copy');
  if (copyLoan === null) {
    return context.acceptReturnsWithoutLoan === true ? { outcome: 'return', reason: null, borrowerId: null, overdueDays: null } : refuse('not_on_loan');
  }
  const overdueDays = today === null ? null : Math.max(0, daysBetween(copyLoan.dueDate, today));
  return { outcome: 'return', reason: null, borrowerId: copyLoan.borrowerId, overdueDays };
}

export function loanDecision(request: LibraryRequest, context: LibraryContext): LibraryDecision {
  const today = toLocalTime(request.nowWallMs, request.utcOffsetMinutes).date;
  switch (request.action) {
    case 'loan':
      return decideLoan(request, context, today);
    case 'renew':
      return decideRenew(request, context, today);
    case 'return':
      return decideReturn(request, context, request.clockTrusted ? today : null);
  }
}
