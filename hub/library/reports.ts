// The librarian's reports: loans per class, overdue loans by class, the most-read titles. A class
// is the borrower's group on the hub's roster now (a pupil who moved up counts in the new class);
// staff and people no longer on the roster are reported under their own keys, never dropped.
import type { HubStorage } from '../storage.js';
import type { LibraryStore, LoanRecord } from './types.js';

export const STAFF_KEY = '(staff)';
export const UNKNOWN_KEY = '(not on the roster)';

export interface LibraryReport {
  /** School-local date the overdue list was judged on. */
  today: string;
  loansPerClass: Array<{ group: string; loans: number }>;
  overdueByClass: Array<{ group: string; loans: LoanRecord[] }>;
  mostRead: Array<{ titleId: string; title: string; loans: number }>;
}

/** The group a borrower is reported under, looked up once per borrower. */
function classifier(storage: HubStorage): (personId: string | null) => Promise<string> {
  const cache = new Map<string, string>();
  return async (personId) => {
    if (personId === null) return UNKNOWN_KEY;
    const known = cache.get(personId);
    if (known !== undefined) return known;
    const entity = await storage.rosterEntity('person', personId);
    const person = entity?.op === 'upsert' && entity.type === 'person' ? entity.data : null;
    const group = person === null ? UNKNOWN_KEY : person.role === 'staff' ? STAFF_KEY : (person.group ?? UNKNOWN_KEY);
    cache.set(personId, group);
    return group;
  };
}

export async function libraryReport(library: LibraryStore, storage: HubStorage, options: { nowMs: number; utcOffsetMinutes: number; sinceMs: number; top: number }): Promise<LibraryReport> {
  const today = new Date(options.nowMs + options.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
  const classOf = classifier(storage);
  const perClass = new Map<string, number>();
  for (const { borrowerId, loans } of await library.loanCounts(options.sinceMs)) {
    const group = await classOf(borrowerId);
    perClass.set(group, (perClass.get(group) ?? 0) + loans);
  }
  const overdue = new Map<string, LoanRecord[]>();
  for (const loan of await library.openLoans(null)) {
    if (loan.dueDate === null || loan.dueDate >= today) continue;
    const group = await classOf(loan.borrowerId);
    overdue.set(group, [...(overdue.get(group) ?? []), loan]);
  }
  const byName = (a: { group: string }, b: { group: string }): number => a.group.localeCompare(b.group);
  return {
    today,
    loansPerClass: [...perClass].map(([group, loans]) => ({ group, loans })).sort(byName),
    overdueByClass: [...overdue].map(([group, loans]) => ({ group, loans })).sort(byName),
    mostRead: await library.mostRead(options.sinceMs, options.top),
  };
}
