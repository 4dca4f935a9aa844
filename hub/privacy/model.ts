// Data-subject requests under Law 94-V: what a request is, its statuses, and its statutory deadline.
//
// Deadlines are counted in working days from the day the request was received (the day itself not
// counted; Saturdays, Sundays and the configured public holidays skipped). The numbers of days are a
// setting, not a constant: the defaults below come from this project's reading (docs/hub.md,
// "Data-subject requests") and must be checked by the school's lawyer; a school sets its own
// through HubOptions.privacy. We could not verify the statute text offline.
import { z } from 'zod';
import { wireId } from '../../protocol/index.js';

export const requestKinds = ['know', 'block', 'destroy'] as const;
export type RequestKind = (typeof requestKinds)[number];

/**
 * open: registered, nothing done yet; awaiting_devices: done on the hub, waiting for every device to
 * pull past the roster change; closed: answered (know) or acknowledged by every device.
 */
export type RequestStatus = 'open' | 'awaiting_devices' | 'closed';

export interface DeadlineSettings {
  /** Working days allowed per kind of request. */
  workingDays: Record<RequestKind, number>;
  /** Public holidays (YYYY-MM-DD) that are not working days. */
  holidays: readonly string[];
}

/**
 * Defaults: an answer to "what do you hold" within 3 working days; a block and a destruction within
 * 1 working day (the 2020 processing rules as summarised in the design guide). Configurable.
 */
export const DEFAULT_DEADLINES: DeadlineSettings = { workingDays: { know: 3, block: 1, destroy: 1 }, holidays: [] };

export const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)), 'not a date');

export const newRequestSchema = z.object({
  kind: z.enum(requestKinds),
  personId: wireId,
  requester: z.string().trim().min(1).max(256),
  channel: z.enum(['in_person', 'letter', 'email', 'egov', 'phone', 'other']),
  receivedOn: isoDay,
  note: z.string().max(2000).default(''),
});
export type NewRequest = z.infer<typeof newRequestSchema>;

/** One device's acknowledgement: the highest roster cursor it has said it applied, and when. */
export interface DeviceAck {
  deviceId: string;
  cursor: number;
  atMs: number;
}

/** What closing a block or destroy request records: each device and the cursor it pulled past. */
export interface AckRecord {
  targetCursor: number;
  devices: Array<{ deviceId: string; ackedCursor: number | null; ackedAt: string | null; done: boolean }>;
}

export interface StoredRequest extends NewRequest {
  id: string;
  deadline: string;
  status: RequestStatus;
  createdMs: number;
  /** The roster cursor of the block or delete; every device must pull past it. */
  targetCursor: number | null;
  executedMs: number | null;
  closedMs: number | null;
  /** The outcome: what was done on the hub, and (when closed) each device's acknowledgement. */
  record: Record<string, unknown> | null;
}

function isWorkingDay(day: Date, holidays: ReadonlySet<string>): boolean {
  const weekday = day.getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(day.toISOString().slice(0, 10));
}

/** The last day (YYYY-MM-DD) on which a request received on `receivedOn` may still be answered. */
export function deadlineFor(receivedOn: string, kind: RequestKind, settings: DeadlineSettings): string {
  const holidays = new Set(settings.holidays);
  const day = new Date(`${receivedOn}T00:00:00Z`);
  let left = settings.workingDays[kind];
  while (left > 0) {
    day.setUTCDate(day.getUTCDate() + 1);
    if (isWorkingDay(day, holidays)) left -= 1;
  }
  return day.toISOString().slice(0, 10);
}

/** Overdue: not closed, and the deadline day has passed in the school's calendar (`today`). */
export function isOverdue(request: Pick<StoredRequest, 'status' | 'deadline'>, today: string): boolean {
  return request.status !== 'closed' && request.deadline < today;
}
