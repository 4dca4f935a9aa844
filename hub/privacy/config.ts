// The deadlines' settings from the hub's environment, refused when malformed (a hub must not start
// counting statutory deadlines with a setting it misread):
//   ESIK_HUB_PRIVACY_DAYS  working days per kind, e.g. "know=3,block=1,destroy=1" (any subset)
//   ESIK_HUB_HOLIDAYS      public holidays, e.g. "2027-01-01,2027-01-02,2027-01-07"
//   ESIK_HUB_TIME_ZONE     the school's IANA zone for "today" (default Asia/Almaty)
import { isoDay, requestKinds, type RequestKind } from './model.js';
import type { PrivacyServiceOptions } from './service.js';

export function privacyOptionsFromEnv(env: NodeJS.ProcessEnv): Pick<PrivacyServiceOptions, 'deadlines' | 'timeZone'> {
  const workingDays: Partial<Record<RequestKind, number>> = {};
  for (const part of (env.ESIK_HUB_PRIVACY_DAYS ?? '').split(',').filter((p) => p.trim() !== '')) {
    const match = /^\s*(\w+)\s*=\s*(\d{1,3})\s*$/.exec(part);
    const kind = requestKinds.find((k) => k === match?.[1]);
    if (!match || !kind) throw new Error(`ESIK_HUB_PRIVACY_DAYS: "${part}" is not kind=days with kind one of ${requestKinds.join(', ')}`);
    workingDays[kind] = Number(match[2]);
  }
  const holidays = (env.ESIK_HUB_HOLIDAYS ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const day of holidays) if (!isoDay.safeParse(day).success) throw new Error(`ESIK_HUB_HOLIDAYS: "${day}" is not a YYYY-MM-DD date`);
  const timeZone = env.ESIK_HUB_TIME_ZONE;
  if (timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-CA', { timeZone });
    } catch {
      throw new Error(`ESIK_HUB_TIME_ZONE: "${timeZone}" is not a time zone`);
    }
  }
  return { deadlines: { workingDays, ...(holidays.length > 0 ? { holidays } : {}) }, ...(timeZone ? { timeZone } : {}) };
}
