// Today's attendance from the hub's own data: the roster's pupils (persons with role student and a
// class) and the first granted entry of each today. Present = in by the bell, late = in after it,
// absent = no entry yet. "Today" is the school's local day (Kazakhstan: UTC+5 since 2024).
import type { ConsoleStore, RosterPerson } from './store.js';

export interface SchoolDay {
  /** Minutes east of UTC of the school's clock. */
  utcOffsetMinutes: number;
  /** The bell, minutes after local midnight: an entry after it is late. */
  bellMinutes: number;
}

export const DEFAULT_SCHOOL_DAY: SchoolDay = { utcOffsetMinutes: 5 * 60, bellMinutes: 8 * 60 };

export type Mark = 'present' | 'late' | 'absent';

export interface PupilMark {
  id: string;
  name: string;
  mark: Mark;
  arrivedMs: number | null;
}

export interface ClassSummary {
  group: string;
  total: number;
  present: number;
  late: number;
  absent: number;
}

const DAY_MS = 86_400_000;

export function dayBounds(nowMs: number, day: SchoolDay): { startMs: number; endMs: number; bellMs: number } {
  const offset = day.utcOffsetMinutes * 60_000;
  const startMs = Math.floor((nowMs + offset) / DAY_MS) * DAY_MS - offset;
  return { startMs, endMs: startMs + DAY_MS, bellMs: startMs + day.bellMinutes * 60_000 };
}

/** HH:MM of `ms` on the school's clock. */
export function localTime(ms: number, day: SchoolDay): string {
  const d = new Date(ms + day.utcOffsetMinutes * 60_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function isPupil(person: RosterPerson): person is RosterPerson & { group: string } {
  return person.role === 'student' && person.status !== 'inactive' && person.group !== null;
}

export class AttendanceReader {
  constructor(
    private readonly store: ConsoleStore,
    private readonly day: SchoolDay,
  ) {}

  private async marks(nowMs: number): Promise<Map<string, PupilMark[]>> {
    const { startMs, endMs, bellMs } = dayBounds(nowMs, this.day);
    const [people, arrivals] = await Promise.all([this.store.rosterPeople(), this.store.firstArrivals(startMs, endMs)]);
    const byClass = new Map<string, PupilMark[]>();
    for (const person of people.filter(isPupil)) {
      const arrivedMs = arrivals.get(person.id) ?? null;
      const mark: Mark = arrivedMs === null ? 'absent' : arrivedMs <= bellMs ? 'present' : 'late';
      const list = byClass.get(person.group) ?? [];
      list.push({ id: person.id, name: person.name, mark, arrivedMs });
      byClass.set(person.group, list);
    }
    return byClass;
  }

  /** Counts per class, no names: what a district officer and the overview page show. */
  async summary(nowMs: number): Promise<ClassSummary[]> {
    const byClass = await this.marks(nowMs);
    return [...byClass.entries()]
      .map(([group, pupils]) => ({
        group,
        total: pupils.length,
        present: pupils.filter((p) => p.mark === 'present').length,
        late: pupils.filter((p) => p.mark === 'late').length,
        absent: pupils.filter((p) => p.mark === 'absent').length,
      }))
      .sort((a, b) => a.group.localeCompare(b.group, 'kk', { numeric: true }));
  }

  /** One class's pupils with their marks, by name; null when the roster has no such class. */
  async classMarks(nowMs: number, group: string): Promise<PupilMark[] | null> {
    const pupils = (await this.marks(nowMs)).get(group);
    return pupils ? pupils.sort((a, b) => a.name.localeCompare(b.name, 'kk')) : null;
  }
}
