// The library desk's rule by example: every refusal code, in check order, and the due dates it
// gives on the school's calendar (Monday-Saturday, holidays closed, UTC+5).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIBRARY_REFUSALS, dueDateFrom, loanDecision,
  type ActiveLoan, type Borrower, type LibraryContext, type LibraryCopy, type LibraryRequest,
} from '../../../device/library/index.js';

const OFFSET = 300;
/** Tuesday 2026-09-01 10:00 in Almaty. */
const NOW = Date.UTC(2026, 8, 1, 5, 0);
const pupil: Borrower = { id: 'p-1', role: 'student', group: '5Б', status: 'active' };
const young: Borrower = { id: 'p-2', role: 'student', group: '2А', status: 'active' };
const teacher: Borrower = { id: 's-1', role: 'staff', group: null, status: 'active' };
const copy: LibraryCopy = { id: 'LIB-0001', titleId: 't-1', readingRoomOnly: false, status: 'available' };

const context: LibraryContext = {
  rules: [
    { id: 'primary', roles: ['student'], groups: ['1А', '2А'], maxLoans: 1, loanDays: 7, maxRenewals: 0 },
    { id: 'pupils', roles: ['student'], groups: ['*'], maxLoans: 3, loanDays: 14, maxRenewals: 2 },
    { id: 'staff', roles: ['staff'], groups: ['*'], maxLoans: 10, loanDays: 30, maxRenewals: 5 },
  ],
  blockLoansWhileOverdue: true,
  renewOverdue: false,
  openWeekdays: [1, 2, 3, 4, 5, 6],
  closedDates: new Set(['2026-09-16']),
};

function loan(overrides: Partial<ActiveLoan> = {}): ActiveLoan {
  return { copyId: 'LIB-0009', borrowerId: 'p-1', loanedAtMs: NOW - 86_400_000, dueDate: '2026-09-10', renewals: 0, ...overrides };
}

function request(overrides: Partial<LibraryRequest> = {}): LibraryRequest {
  return { action: 'loan', borrower: pupil, copy, copyLoan: null, borrowerLoans: [], nowWallMs: NOW, utcOffsetMinutes: OFFSET, clockTrusted: true, ...overrides };
}

describe('loans', () => {
  it('lends for the period of the first rule that covers the borrower, due on an open day', () => {
    // 14 days from Tuesday 1 September is Tuesday 15th.
    expect(loanDecision(request(), context)).toEqual({ outcome: 'loan', reason: null, ruleId: 'pupils', dueDate: '2026-09-15' });
    // 7 days: Tuesday 8th; a teacher's 30 days: Thursday 1 October.
    expect(loanDecision(request({ borrower: young }), context)).toMatchObject({ ruleId: 'primary', dueDate: '2026-09-08' });
    expect(loanDecision(request({ borrower: teacher }), context)).toMatchObject({ ruleId: 'staff', dueDate: '2026-10-01' });
  });

  it('moves a due date off Sundays and holidays', () => {
    // 5 days from Tuesday is Sunday 6th: Monday 7th. 15 days is the closed 16th: the 17th.
    expect(dueDateFrom('2026-09-01', 5, context)).toBe('2026-09-07');
    expect(dueDateFrom('2026-09-01', 15, context)).toBe('2026-09-17');
    expect(loanDecision(request({ nowWallMs: NOW + 86_400_000 }), context)).toMatchObject({ dueDate: '2026-09-17' });
  });

  it('uses the school-local date, not UTC: 23:30 in Almaty is already the next day there', () => {
    const lateUtc = Date.UTC(2026, 8, 1, 19, 30); // 2 September 00:30 local
    expect(loanDecision(request({ nowWallMs: lateUtc }), context)).toMatchObject({ dueDate: '2026-09-17' });
  });

  it('refuses who may not borrow', () => {
    expect(loanDecision(request({ borrower: null }), context)).toEqual({ outcome: 'refuse', reason: 'unknown_borrower' });
    expect(loanDecision(request({ borrower: { ...pupil, status: 'blocked' } }), context)).toMatchObject({ reason: 'borrower_inactive' });
    expect(loanDecision(request({ borrower: { ...pupil, status: 'inactive' } }), context)).toMatchObject({ reason: 'borrower_inactive' });
    expect(loanDecision(request({ borrower: { id: 'v-1', role: 'visitor', group: null, status: 'active' } }), context)).toMatchObject({ reason: 'not_a_borrower' });
    expect(loanDecision(request({ borrower: { ...pupil, group: null } }), { ...context, rules: context.rules.filter((r) => r.id === 'primary') })).toMatchObject({ reason: 'not_a_borrower' });
    expect(loanDecision(request({ clockTrusted: false }), context)).toMatchObject({ reason: 'clock_untrusted' });
  });

  it('refuses copies that cannot go out', () => {
    expect(loanDecision(request({ copy: null }), context)).toMatchObject({ reason: 'unknown_copy' });
    expect(loanDecision(request({ copy: { ...copy, status: 'withdrawn' } }), context)).toMatchObject({ reason: 'copy_unavailable' });
    expect(loanDecision(request({ copy: { ...copy, status: 'lost' } }), context)).toMatchObject({ reason: 'copy_unavailable' });
    expect(loanDecision(request({ copy: { ...copy, readingRoomOnly: true } }), context)).toMatchObject({ reason: 'reading_room_only' });
    expect(loanDecision(request({ copyLoan: loan({ copyId: copy.id, borrowerId: 'p-7' }) }), context)).toMatchObject({ reason: 'already_on_loan' });
    expect(loanDecision(request({ copyLoan: loan({ copyId: copy.id }) }), context)).toMatchObject({ reason: 'already_on_loan' });
  });

  it('refuses a new loan while one is overdue, when the school says so', () => {
    const overdue = loan({ dueDate: '2026-08-31' });
    expect(loanDecision(request({ borrowerLoans: [overdue] }), context)).toMatchObject({ reason: 'overdue_loans' });
    // Due today is not overdue yet.
    expect(loanDecision(request({ borrowerLoans: [loan({ dueDate: '2026-09-01' })] }), context)).toMatchObject({ outcome: 'loan' });
    expect(loanDecision(request({ borrowerLoans: [overdue] }), { ...context, blockLoansWhileOverdue: false })).toMatchObject({ outcome: 'loan' });
  });

  it('refuses past the loan limit of the borrower rule', () => {
    const three = [1, 2, 3].map((n) => loan({ copyId: `c-${n}` }));
    expect(loanDecision(request({ borrowerLoans: three.slice(0, 2) }), context)).toMatchObject({ outcome: 'loan' });
    expect(loanDecision(request({ borrowerLoans: three }), context)).toMatchObject({ reason: 'loan_limit' });
    expect(loanDecision(request({ borrower: young, borrowerLoans: [loan({ borrowerId: 'p-2' })] }), context)).toMatchObject({ reason: 'loan_limit' });
  });

  it('treats a rule with broken limits as covering nobody', () => {
    const broken = { ...context, rules: [{ id: 'x', roles: ['student' as const], groups: ['*'], maxLoans: 2.5, loanDays: 14, maxRenewals: 0 }] };
    expect(loanDecision(request(), broken)).toMatchObject({ reason: 'not_a_borrower' });
  });
});

describe('renewals and returns', () => {
  const onLoan = loan({ copyId: copy.id, dueDate: '2026-09-05' });

  it('renews for a full period from today, counting renewals', () => {
    expect(loanDecision(request({ action: 'renew', copyLoan: onLoan, borrowerLoans: [onLoan] }), context)).toEqual({
      outcome: 'renew', reason: null, ruleId: 'pupils', dueDate: '2026-09-15', renewals: 1,
    });
    // Renewed early, a loan is never shortened.
    const long = { ...onLoan, dueDate: '2026-09-30' };
    expect(loanDecision(request({ action: 'renew', copyLoan: long }), context)).toMatchObject({ dueDate: '2026-09-30' });
  });

  it('refuses renewals in check order', () => {
    const renew = (overrides: Partial<LibraryRequest>): unknown => loanDecision(request({ action: 'renew', copyLoan: onLoan, ...overrides }), context);
    expect(renew({ borrower: null })).toMatchObject({ reason: 'unknown_borrower' });
    expect(renew({ copy: null })).toMatchObject({ reason: 'unknown_copy' });
    expect(renew({ copyLoan: null })).toMatchObject({ reason: 'not_on_loan' });
    expect(renew({ copyLoan: { ...onLoan, borrowerId: 'p-9' } })).toMatchObject({ reason: 'not_borrowers_loan' });
    expect(renew({ copyLoan: { ...onLoan, renewals: 2 } })).toMatchObject({ reason: 'renewal_limit' });
    expect(renew({ borrower: young, copyLoan: { ...onLoan, borrowerId: 'p-2' } })).toMatchObject({ reason: 'renewal_limit' });
    expect(renew({ copyLoan: { ...onLoan, dueDate: '2026-08-31' } })).toMatchObject({ reason: 'overdue_no_renewal' });
    const lenient = { ...context, renewOverdue: true };
    expect(loanDecision(request({ action: 'renew', copyLoan: { ...onLoan, dueDate: '2026-08-31' } }), lenient)).toMatchObject({ outcome: 'renew', dueDate: '2026-09-15' });
  });

  it('takes a book back from anyone, overdue days counted on the local calendar, even with an untrusted clock', () => {
    const back = (overrides: Partial<LibraryRequest>): unknown => loanDecision(request({ action: 'return', borrower: null, ...overrides }), context);
    expect(back({ copyLoan: onLoan })).toEqual({ outcome: 'return', reason: null, borrowerId: 'p-1', overdueDays: 0 });
    expect(back({ copyLoan: { ...onLoan, dueDate: '2026-08-29' } })).toMatchObject({ overdueDays: 3 });
    expect(back({ copyLoan: onLoan, clockTrusted: false })).toMatchObject({ outcome: 'return', overdueDays: null });
    expect(back({ copyLoan: null })).toMatchObject({ reason: 'not_on_loan' });
    // A copy lent at another desk comes back here: taken back when the school says so.
    expect(loanDecision(request({ action: 'return', borrower: null, copyLoan: null }), { ...context, acceptReturnsWithoutLoan: true })).toEqual({ outcome: 'return', reason: null, borrowerId: null, overdueDays: null });
    expect(back({ copy: null })).toMatchObject({ reason: 'unknown_copy' });
  });
});

describe('properties', () => {
  const borrower = fc.record({ id: fc.constantFrom('p-1', 'p-2', 's-1'), role: fc.constantFrom('student', 'staff', 'visitor', 'guardian'), group: fc.constantFrom('5Б', '2А', null), status: fc.constantFrom('active', 'blocked', 'inactive') });
  const date = fc.integer({ min: 0, max: 60 }).map((d) => new Date(Date.UTC(2026, 7, 1) + d * 86_400_000).toISOString().slice(0, 10));
  const active = fc.record({ copyId: fc.constantFrom('LIB-0001', 'c-2', 'c-3', 'c-4'), borrowerId: fc.constantFrom('p-1', 'p-2', 's-1'), loanedAtMs: fc.constant(0), dueDate: date, renewals: fc.integer({ min: 0, max: 6 }) });
  const anyRequest = fc.record({
    action: fc.constantFrom('loan', 'return', 'renew'),
    borrower: fc.option(borrower),
    copy: fc.option(fc.record({ id: fc.constant('LIB-0001'), titleId: fc.constant('t'), readingRoomOnly: fc.boolean(), status: fc.constantFrom('available', 'withdrawn', 'lost') })),
    copyLoan: fc.option(active),
    borrowerLoans: fc.array(active, { maxLength: 12 }),
    nowWallMs: fc.integer({ min: Date.UTC(2026, 7, 1), max: Date.UTC(2026, 9, 1) }),
    utcOffsetMinutes: fc.constant(OFFSET),
    clockTrusted: fc.boolean(),
  }) as fc.Arbitrary<LibraryRequest>;

  it('gives a known reason, never a loan beyond the limit or of a copy out or for the reading room, and due dates on open days after today', () => {
    fc.assert(
      fc.property(anyRequest, (req) => {
        const decision = loanDecision(req, context);
        if (decision.outcome === 'refuse') {
          expect(LIBRARY_REFUSALS).toContain(decision.reason);
          return;
        }
        if (decision.outcome === 'loan') {
          expect(req.copyLoan).toBeNull();
          expect(req.copy?.readingRoomOnly).toBe(false);
          const rule = context.rules.find((r) => r.id === decision.ruleId);
          expect(req.borrowerLoans.filter((l) => l.borrowerId === req.borrower?.id).length).toBeLessThan(rule?.maxLoans ?? 0);
        }
        if (decision.outcome === 'loan') {
          // blockLoansWhileOverdue: no loan while any of the borrower's own loans is past its due date.
          const today = new Date(req.nowWallMs + OFFSET * 60_000).toISOString().slice(0, 10);
          expect(req.borrowerLoans.some((l) => l.borrowerId === req.borrower?.id && l.dueDate < today)).toBe(false);
          expect(req.borrower?.status).toBe('active');
          expect(req.clockTrusted).toBe(true);
        }
        if (decision.outcome === 'renew') {
          expect(req.copyLoan?.borrowerId).toBe(req.borrower?.id);
          expect(req.copyLoan?.renewals ?? Infinity).toBeLessThan(context.rules.find((r) => r.id === decision.ruleId)?.maxRenewals ?? 0);
        }
        if (decision.outcome === 'loan' || decision.outcome === 'renew') {
          const today = new Date(req.nowWallMs + OFFSET * 60_000).toISOString().slice(0, 10);
          expect(decision.dueDate > today).toBe(true);
          // A renewal may keep a later due date the loan already had (never shortened); any date the
          // rule computes itself falls on an open day.
          if (decision.outcome === 'loan' || decision.dueDate !== req.copyLoan?.dueDate) {
            expect(new Date(`${decision.dueDate}T00:00:00Z`).getUTCDay()).not.toBe(0);
            expect(decision.dueDate).not.toBe('2026-09-16');
          }
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('is deterministic and leaves its input alone', () => {
    fc.assert(
      fc.property(anyRequest, (req) => {
        const frozen = structuredClone(req);
        expect(loanDecision(req, context)).toEqual(loanDecision(structuredClone(req), context));
        expect(req).toEqual(frozen);
      }),
      { numRuns: 300 },
    );
  });
});
