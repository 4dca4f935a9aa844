// School-local calendar arithmetic from an epoch and a fixed UTC offset. Kazakhstan has one zone
// (UTC+5 since 2024) and no daylight saving, so a fixed offset is exact and needs no tz database.

export interface LocalTime {
  /** "2026-09-01" */
  date: string;
  /** ISO weekday, 1 = Monday ... 7 = Sunday. */
  isoWeekday: number;
  /** Minutes since local midnight. */
  minuteOfDay: number;
}

const MS_PER_MINUTE = 60_000;

export function toLocalTime(wallMs: number, utcOffsetMinutes: number): LocalTime {
  const shifted = new Date(wallMs + utcOffsetMinutes * MS_PER_MINUTE);
  const day = shifted.getUTCDay();
  return {
    date: shifted.toISOString().slice(0, 10),
    isoWeekday: day === 0 ? 7 : day,
    minuteOfDay: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
  };
}

/** "07:30" → 450. Throws on anything else: schedules are validated when they enter the store. */
export function parseClockTime(hhmm: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!match) {
    if (hhmm === '24:00') return 24 * 60;
    throw new Error(`invalid time of day "${hhmm}", expected HH:MM`);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * A validity boundary as epoch ms. A date-only value ("2026-09-01") means local midnight at the
 * start of that day, or — for an end boundary — the end of that day, so "validTo: 2026-09-01"
 * admits the visitor all day long.
 */
export function boundaryMs(value: string, utcOffsetMinutes: number, edge: 'start' | 'end'): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const midnightUtc = Date.parse(`${value}T00:00:00Z`) - utcOffsetMinutes * MS_PER_MINUTE;
    return edge === 'start' ? midnightUtc : midnightUtc + 24 * 60 * MS_PER_MINUTE;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new Error(`invalid validity boundary "${value}"`);
  return parsed;
}

/** The school-local day containing `wallMs`: its date and its [startMs, endMs) as epoch ms. */
export function localDay(wallMs: number, utcOffsetMinutes: number): { date: string; startMs: number; endMs: number } {
  const { date } = toLocalTime(wallMs, utcOffsetMinutes);
  return { date, startMs: boundaryMs(date, utcOffsetMinutes, 'start'), endMs: boundaryMs(date, utcOffsetMinutes, 'end') };
}
