// What a library desk's events carry (issue 20): a loan, a return or a renewal of one copy, as
// ordinary events (`library.loan`, `library.return`, `library.renew`) in the kiosk's log, pushed
// exactly once by (deviceId, seq) like every other event. The borrower is the event's personId;
// `data` is this schema. The hub folds them into its loans table (hub/library).
import { z } from 'zod';
import { wireId } from './wire.js';

export const LIBRARY_EVENT_TYPES = ['library.loan', 'library.return', 'library.renew'] as const;
export type LibraryEventType = (typeof LIBRARY_EVENT_TYPES)[number];

export const libraryEventDataSchema = z.object({
  /** The copy's own barcode. */
  copyId: wireId,
  titleId: wireId.nullable().default(null),
  /** School-local due date after a loan or renewal; null on a return. */
  dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable().default(null),
  /** Renewals after this event (a renewal's count, 0 on a loan). */
  renewals: z.number().int().min(0).max(1000).default(0),
  /** The loan a return or renewal closes or extends, as the desk knew it; null when it did not know. */
  loanEventId: z.uuid().nullable().default(null),
});
export type LibraryEventData = z.infer<typeof libraryEventDataSchema>;

export function isLibraryEventType(type: string): type is LibraryEventType {
  return (LIBRARY_EVENT_TYPES as readonly string[]).includes(type);
}
