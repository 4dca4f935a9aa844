// Staff attendance (issue 17): for each roster person with role 'staff' (not inactive), on each
// school-local day, whether they came in, their first granted entry and their last granted exit.
// The same events and the same first-entry query as the pupils' register (dailyFirstArrivals); the
// last exit is its mirror (dailyLastExits). No bell: a teacher's hours are not a pupil's lateness.
import { localTime, type SchoolDay } from './attendance.js';
import { csvCell } from './csv.js';
import type { MonthBounds } from './register.js';
import type { ConsoleStore, RosterPerson } from './store.js';

const DAY_MS = 86_400_000;

export interface StaffDay {
  id: string;
  name: string;
  /** School-local date, YYYY-MM-DD. */
  date: string;
  firstInMs: number | null;
  lastOutMs: number | null;
}

export interface StaffMonthRow {
  id: string;
  name: string;
  daysIn: number;
  days: StaffDay[];
}

function isStaff(person: RosterPerson): boolean {
  return person.role === 'staff' && person.status !== 'inactive';
}

export class StaffAttendance {
  constructor(
    private readonly store: ConsoleStore,
    private readonly day: SchoolDay,
  ) {}

  private dateOf(ms: number): string {
    return new Date(ms + this.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
  }

  /** Every staff person on every local day of [fromMs, toMs) (whole days), by name then date. */
  async days(fromMs: number, toMs: number): Promise<StaffDay[]> {
    const offsetMs = this.day.utcOffsetMinutes * 60_000;
    const [people, arrivals, exits] = await Promise.all([this.store.rosterPeople(), this.store.dailyFirstArrivals(fromMs, toMs, offsetMs), this.store.dailyLastExits(fromMs, toMs, offsetMs)]);
    const staff = people.filter(isStaff).sort((a, b) => a.name.localeCompare(b.name, 'kk'));
    const ids = new Set(staff.map((p) => p.id));
    const firstIn = new Map<string, number>();
    for (const a of arrivals) if (ids.has(a.personId)) firstIn.set(`${a.personId}|${this.dateOf(a.firstMs)}`, a.firstMs);
    const lastOut = new Map<string, number>();
    for (const e of exits) if (ids.has(e.personId)) lastOut.set(`${e.personId}|${this.dateOf(e.lastMs)}`, e.lastMs);
    const result: StaffDay[] = [];
    for (const person of staff) {
      for (let start = fromMs; start < toMs; start += DAY_MS) {
        const date = this.dateOf(start);
        const key = `${person.id}|${date}`;
        result.push({ id: person.id, name: person.name, date, firstInMs: firstIn.get(key) ?? null, lastOutMs: lastOut.get(key) ?? null });
      }
    }
    return result;
  }

  /** One month, grouped by person: the days each came in (an exit alone is no arrival, as for pupils). */
  async month(bounds: MonthBounds): Promise<StaffMonthRow[]> {
    const rows = new Map<string, StaffMonthRow>();
    for (const d of await this.days(bounds.fromMs, bounds.toMs)) {
      const row = rows.get(d.id) ?? { id: d.id, name: d.name, daysIn: 0, days: [] };
      if (d.firstInMs !== null) row.daysIn += 1;
      row.days.push(d);
      rows.set(d.id, row);
    }
    return [...rows.values()];
  }
}

export interface StaffCsvLabels {
  employee: string;
  date: string;
  firstIn: string;
  lastOut: string;
}

/** One line per person per day they came in or left; a byte-order mark for spreadsheets (as the register). */
export function staffCsv(days: readonly StaffDay[], labels: StaffCsvLabels, day: SchoolDay): string {
  const time = (ms: number | null): string => (ms === null ? '' : localTime(ms, day));
  const lines = [[labels.employee, labels.date, labels.firstIn, labels.lastOut]];
  for (const d of days) if (d.firstInMs !== null || d.lastOutMs !== null) lines.push([d.name, d.date, time(d.firstInMs), time(d.lastOutMs)]);
  return `\uFEFF${lines.map((line) => line.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
