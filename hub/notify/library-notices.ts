// The library's overdue notices (issue 20). A loan is overdue from the school-local day after its due
// date. Its guardians hear of it once, then again every `repeatDays` (a weekly reminder by default)
// while the book is still out, at most `maxNotices` times in all: a book lost for a term does not
// message a family every week until summer. The outbox key is overdue:<loan>:<due date>:<n>, n the
// reminder's number counted from the due date, so a second check, a restart or another hub process
// writes nothing new, and a renewal (a new due date) starts afresh. A returned book is no longer an
// open loan: nothing is planned, and a notice still held (quiet hours) is cancelled at delivery.
// Loans the library fold marked as a double loan are left to the librarian: the borrower may be wrong.
import type { LibraryStore } from '../library/index.js';
import type { HubStorage } from '../storage.js';
import { guardiansToTell, parseHhMm, rosterFirstName, rowsForGuardians, schoolClock } from './attendance.js';
import type { NewOutboxRow, NoticePayload, NotifyStore } from './model.js';

/** What the notifier needs of the school library. */
export type LibraryFeed = Pick<LibraryStore, 'openLoans' | 'copy' | 'title'>;

export interface OverdueRules {
  /** HH:MM school-local: the check runs from this time of day (a daytime message); null: no overdue notices. */
  checkAt: string | null;
  /** Days between reminders while the book is out; null: one notice only. */
  repeatDays: number | null;
  /** Notices per loan and due date, the first included. */
  maxNotices: number;
  /** How often the check runs (it is cheap: the school's open loans). */
  intervalMs: number;
}

export const DEFAULT_OVERDUE_RULES: OverdueRules = { checkAt: '09:00', repeatDays: 7, maxNotices: 4, intervalMs: 15 * 60_000 };

/** Whole days from `from` to `to` (YYYY-MM-DD, calendar days, no zone involved). */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Which reminder a loan `daysLate` days past its due date is on (0: the first), or null when none is due. */
export function reminderNumber(daysLate: number, rules: Pick<OverdueRules, 'repeatDays' | 'maxNotices'>): number | null {
  if (daysLate < 1) return null;
  const n = rules.repeatDays === null ? 0 : Math.floor((daysLate - 1) / rules.repeatDays);
  return n < rules.maxNotices ? n : null;
}

export class OverdueCheck {
  private readonly checkAt: number | null;
  private lastRunMs = -Infinity;

  constructor(
    private readonly library: LibraryFeed,
    private readonly storage: HubStorage,
    private readonly store: NotifyStore,
    private readonly rules: OverdueRules,
    private readonly timeZone: string,
    private readonly now: () => number = Date.now,
  ) {
    this.checkAt = parseHhMm(rules.checkAt);
  }

  /** Writes the overdue notices due now; returns how many rows were new to this process's check. */
  async run(): Promise<number> {
    const nowMs = this.now();
    if (this.checkAt === null || nowMs - this.lastRunMs < this.rules.intervalMs) return 0;
    const clock = schoolClock(nowMs, this.timeZone);
    if (clock.minutes < this.checkAt) return 0;
    this.lastRunMs = nowMs;
    const late = (await this.library.openLoans(null)).filter((loan) => loan.borrowerId !== null && !loan.conflict && loan.dueDate !== null && loan.dueDate < clock.day);
    if (late.length === 0) return 0;
    const guardians = await guardiansToTell(this.store, [...new Set(late.map((loan) => loan.borrowerId ?? ''))]);
    const rows: NewOutboxRow[] = [];
    for (const loan of late) {
      const forChild = guardians.get(loan.borrowerId ?? '');
      const dueDate = loan.dueDate ?? '';
      const n = reminderNumber(daysBetween(dueDate, clock.day), this.rules);
      if (!forChild || n === null) continue;
      const firstName = await rosterFirstName(this.storage, loan.borrowerId ?? '');
      if (firstName === null) continue;
      const eventId = `overdue:${loan.eventId}:${dueDate}:${n}`;
      const payload: NoticePayload = {
        kind: 'overdue', eventId, personId: loan.borrowerId ?? '', firstName, at: new Date(nowMs).toISOString(), door: null,
        detail: { kind: 'overdue', loanId: loan.eventId, title: await this.titleOf(loan.copyId), dueDate },
      };
      rows.push(...rowsForGuardians(payload, forChild, eventId));
    }
    await this.store.addRows(rows, nowMs);
    return rows.length;
  }

  /** At delivery: an overdue notice held (quiet hours, retries) is dropped once the book is back or the loan renewed. */
  async stillOut(payload: NoticePayload): Promise<boolean> {
    if (payload.detail?.kind !== 'overdue') return true;
    const { loanId, dueDate } = payload.detail;
    return (await this.library.openLoans(payload.personId)).some((loan) => loan.eventId === loanId && loan.dueDate === dueDate);
  }

  private async titleOf(copyId: string): Promise<string | null> {
    const copy = await this.library.copy(copyId);
    return copy ? ((await this.library.title(copy.titleId))?.title ?? null) : null;
  }
}
