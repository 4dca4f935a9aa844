// Quiet hours: a guardian's local window (22:00..07:00, say) in which nothing is sent to them. A notice
// due inside it is held, not dropped: its outbox row goes back to pending, due when the window ends,
// and is sent then under its own key, once, like any other row.
import { z } from 'zod';
import { parseHhMm, schoolClock } from './attendance.js';
import type { QuietHours } from './model.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

/** A window of two distinct HH:MM times; the same time twice would be empty or the whole day, both mistakes. */
export const quietHoursSchema = z.object({ start: hhmm, end: hhmm }).refine((q) => q.start !== q.end, 'start and end must differ');

/** "22:00 07:00", "22:00-07:00", or "off"; null when the text is neither. */
export function parseQuietText(text: string): QuietHours | 'off' | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'off' || trimmed === '') return 'off';
  const [start, end, ...rest] = trimmed.split(/[\s–—-]+/);
  if (rest.length > 0) return null;
  const parsed = quietHoursSchema.safeParse({ start: pad(start ?? ''), end: pad(end ?? '') });
  return parsed.success ? parsed.data : null;
}

/** "7:00" is "07:00". */
function pad(time: string): string {
  return /^\d:\d\d$/.test(time) ? `0${time}` : time;
}

/**
 * When the guardian's quiet window that holds `nowMs` ends, or null when `nowMs` is outside it.
 * Counted in whole local minutes from now: Kazakhstan has no daylight saving, and elsewhere a jump of
 * the clock inside a window moves its end by that hour at most.
 */
export function quietUntil(nowMs: number, quiet: QuietHours | null, timeZone: string): number | null {
  if (!quiet) return null;
  const start = parseHhMm(quiet.start) ?? 0;
  const end = parseHhMm(quiet.end) ?? 0;
  const { minutes } = schoolClock(nowMs, timeZone);
  const inside = start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inside) return null;
  const minutesLeft = (end - minutes + 1440) % 1440;
  // From the start of the current local minute, so the row is due at the window's first minute after.
  return nowMs - (nowMs % 60_000) + minutesLeft * 60_000;
}
