import { describe, expect, it } from 'vitest';
import { boundaryMs, localDay, parseClockTime, toLocalTime } from '../../../device/policy/index.js';

describe('school-local time', () => {
  it('maps an epoch to the local date, ISO weekday and minute of day at UTC+5', () => {
    // 2026-09-01T02:58Z is 07:58 on Tuesday in Almaty.
    expect(toLocalTime(Date.parse('2026-09-01T02:58:00Z'), 300)).toEqual({ date: '2026-09-01', isoWeekday: 2, minuteOfDay: 478 });
    // 2026-09-06 is a Sunday: ISO weekday 7, not 0.
    expect(toLocalTime(Date.parse('2026-09-06T05:00:00Z'), 300).isoWeekday).toBe(7);
    // 20:30 UTC on Sunday is already Monday 01:30 locally.
    expect(toLocalTime(Date.parse('2026-09-06T20:30:00Z'), 300)).toMatchObject({ date: '2026-09-07', isoWeekday: 1, minuteOfDay: 90 });
  });

  it('parses HH:MM strictly', () => {
    expect(parseClockTime('07:00')).toBe(420);
    expect(parseClockTime('23:59')).toBe(1439);
    expect(parseClockTime('24:00')).toBe(1440);
    for (const bad of ['7:00', '24:01', '12:60', '', 'noon']) expect(() => parseClockTime(bad)).toThrow(/HH:MM/);
  });

  it('reads date-only boundaries as local day edges and full timestamps as given', () => {
    expect(boundaryMs('2026-09-01', 300, 'start')).toBe(Date.parse('2026-08-31T19:00:00Z'));
    expect(boundaryMs('2026-09-01', 300, 'end')).toBe(Date.parse('2026-09-01T19:00:00Z'));
    expect(boundaryMs('2026-09-01T09:00:00+05:00', 300, 'start')).toBe(Date.parse('2026-09-01T04:00:00Z'));
    expect(() => boundaryMs('yesterday', 300, 'start')).toThrow(/invalid/);
  });

  it('cuts the school day at local midnight, as the lobby board counted it before it used this module', () => {
    const DAY_MS = 86_400_000;
    // The board's former copy of the arithmetic, kept here as the reference.
    const boardDay = (wallMs: number, offset: number): { date: string; startMs: number; endMs: number } => {
      const midnight = Math.floor((wallMs + offset * 60_000) / DAY_MS) * DAY_MS;
      return { date: new Date(midnight).toISOString().slice(0, 10), startMs: midnight - offset * 60_000, endMs: midnight - offset * 60_000 + DAY_MS };
    };
    expect(localDay(Date.parse('2026-11-22T19:30:00Z'), 300)).toEqual({ date: '2026-11-23', startMs: Date.parse('2026-11-22T19:00:00Z'), endMs: Date.parse('2026-11-23T19:00:00Z') });
    const edges = [Date.parse('2026-11-22T19:00:00Z'), Date.parse('2026-11-22T18:59:59.999Z'), 0, Date.parse('1969-12-31T23:00:00Z')];
    for (const offset of [300, 0, -180, 345, 840, -720]) {
      for (let wallMs = Date.parse('2026-12-31T00:00:00Z'); wallMs < Date.parse('2027-01-02T00:00:00Z'); wallMs += 17 * 60_000 + 13_000) {
        expect(localDay(wallMs, offset)).toEqual(boardDay(wallMs, offset));
      }
      for (const wallMs of edges) expect(localDay(wallMs, offset)).toEqual(boardDay(wallMs, offset));
    }
  });
});
