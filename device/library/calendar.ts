// Due dates on the school's calendar: whole local days, moved off days the library is closed.
// Dates are "YYYY-MM-DD" strings computed on UTC midnights, so no time zone or clock is involved.
import type { LibraryContext } from './types.js';

const DAY_MS = 86_400_000;
/** A due date never moves further than this past the loan period (a calendar closing every day). */
const MAX_SHIFT_DAYS = 366;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

function isoWeekday(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

export function isOpen(date: string, context: Pick<LibraryContext, 'openWeekdays' | 'closedDates'>): boolean {
  return context.openWeekdays.includes(isoWeekday(date)) && !context.closedDates.has(date);
}

/**
 * `days` after `today`, moved forward to the first day the library is open: a book due on a Sunday
 * or a holiday could not be brought back that day. A calendar with no open day leaves it unmoved.
 */
export function dueDateFrom(today: string, days: number, context: Pick<LibraryContext, 'openWeekdays' | 'closedDates'>): string {
  const due = addDays(today, days);
  for (let shift = 0; shift <= MAX_SHIFT_DAYS; shift += 1) {
    const candidate = addDays(due, shift);
    if (isOpen(candidate, context)) return candidate;
  }
  return due;
}

/** Overdue from the day after the due date, on the school's local calendar. */
export function isOverdue(dueDate: string, today: string): boolean {
  return today > dueDate;
}
