// Late and absent notices. A child's first arrival of the school day after the bell is announced as
// late; a child with linked guardians who has not arrived by `absentAt` on a school day (a weekday the
// school works, not a roster holiday) is announced absent, once: the outbox key is
// absent:<child>:<day>:<guardian>:<channel>, so a second check, a restart or a second hub process
// writes nothing new. Every time is the school's local time.
import type { HubStorage } from '../storage.js';
import { outboxKey, type GuardianRecord, type NewOutboxRow, type NoticePayload, type NotifyStore } from './model.js';

export interface AttendanceRules {
  /** HH:MM: a first arrival after it is late; null: no late notices. */
  bell: string | null;
  /** HH:MM: not arrived by then is absent; null: no absent notices. */
  absentAt: string | null;
  /** ISO weekdays the school works (1 = Monday … 7 = Sunday). */
  schoolDays: readonly number[];
  /** The check runs only this long after absentAt: a hub started in the evening does not announce the morning. */
  absentWindowMs: number;
}

export const DEFAULT_ATTENDANCE: AttendanceRules = { bell: null, absentAt: null, schoolDays: [1, 2, 3, 4, 5], absentWindowMs: 2 * 3600_000 };

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The school's calendar day, local hour-minute and weekday of an instant. */
export function schoolClock(ms: number, timeZone: string): { day: string; minutes: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23',
  }).formatToParts(ms);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return { day: `${part('year')}-${part('month')}-${part('day')}`, minutes: Number(part('hour')) * 60 + Number(part('minute')), weekday: WEEKDAYS[part('weekday')] ?? 0 };
}

/** Minutes after midnight of an HH:MM, or null. Throws on a malformed time (config is refused at start). */
export function parseHhMm(text: string | null): number | null {
  if (text === null) return null;
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new Error(`invalid time of day ${text} (HH:MM)`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** One row per channel each guardian has, keyed keyBase:guardian:channel. */
export function rowsForGuardians(payload: NoticePayload, guardians: ReadonlyArray<{ id: string; telegramChat: string | null; webhookUrl: string | null }>, keyBase: string): NewOutboxRow[] {
  const rows: NewOutboxRow[] = [];
  for (const guardian of guardians) {
    if (guardian.telegramChat !== null) rows.push({ key: outboxKey(keyBase, guardian.id, 'telegram'), guardianId: guardian.id, channel: 'telegram', payload });
    if (guardian.webhookUrl !== null) rows.push({ key: outboxKey(keyBase, guardian.id, 'webhook'), guardianId: guardian.id, channel: 'webhook', payload });
  }
  return rows;
}

/** The first word of a child's roster name; null when the child is not on the roster or not active (nothing is announced). */
export async function rosterFirstName(storage: HubStorage, personId: string): Promise<string | null> {
  const entity = await storage.rosterEntity('person', personId);
  return entity?.op === 'upsert' && entity.type === 'person' && entity.data.status === 'active' ? (entity.data.name.trim().split(/\s+/)[0] ?? null) : null;
}

/** Of these children, the guardians to tell: linked, with a channel, and the notices consent not withdrawn. */
export async function guardiansToTell(store: NotifyStore, children: readonly string[]): Promise<Map<string, GuardianRecord[]>> {
  const withdrawn = await store.noticesWithdrawn(children);
  const byPerson = new Map<string, GuardianRecord[]>();
  for (const guardian of await store.activeGuardians(children)) {
    if (!withdrawn.has(guardian.personId)) byPerson.set(guardian.personId, [...(byPerson.get(guardian.personId) ?? []), guardian]);
  }
  return byPerson;
}

export class AbsenceCheck {
  private doneDay: string | null = null;
  private readonly absentAt: number | null;

  constructor(
    private readonly storage: HubStorage,
    private readonly store: NotifyStore,
    private readonly rules: AttendanceRules,
    private readonly timeZone: string,
    private readonly now: () => number = Date.now,
  ) {
    this.absentAt = parseHhMm(rules.absentAt);
  }

  /** Writes the day's absent notices once it is time; returns how many rows were written. */
  async run(): Promise<number> {
    if (this.absentAt === null) return 0;
    const nowMs = this.now();
    const clock = schoolClock(nowMs, this.timeZone);
    if (this.doneDay === clock.day || clock.minutes < this.absentAt || (clock.minutes - this.absentAt) * 60_000 > this.rules.absentWindowMs) return 0;
    if (!this.rules.schoolDays.includes(clock.weekday) || (await this.isHoliday(clock.day))) {
      this.doneDay = clock.day;
      return 0;
    }
    const guardians = await this.store.allActiveGuardians();
    const present = await this.store.present(guardians.map((g) => ({ personId: g.personId, day: clock.day })));
    const names = new Map<string, string | null>();
    const rows: NewOutboxRow[] = [];
    for (const personId of new Set(guardians.map((g) => g.personId))) {
      if (present.has(`${personId}|${clock.day}`)) continue;
      const firstName = names.get(personId) ?? (await this.firstName(personId));
      names.set(personId, firstName);
      if (firstName === null) continue;
      const keyBase = `absent:${personId}:${clock.day}`;
      const payload: NoticePayload = { kind: 'absent', eventId: keyBase, personId, firstName, at: new Date(nowMs).toISOString(), door: null };
      rows.push(...rowsForGuardians(payload, guardians.filter((g) => g.personId === personId), keyBase));
    }
    await this.store.addRows(rows, nowMs);
    this.doneDay = clock.day;
    return rows.length;
  }

  private async isHoliday(day: string): Promise<boolean> {
    const holiday = await this.storage.rosterEntity('holiday', day);
    return holiday?.op === 'upsert';
  }

  private async firstName(personId: string): Promise<string | null> {
    const entity = await this.storage.rosterEntity('person', personId);
    return entity?.op === 'upsert' && entity.type === 'person' && entity.data.status === 'active' ? (entity.data.name.trim().split(/\s+/)[0] ?? null) : null;
  }
}
