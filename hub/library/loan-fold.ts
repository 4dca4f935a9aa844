// Folds the desks' library events into the loans table, inside the transaction that moves the
// fold's cursor. Desks work offline, so two desks may lend the same copy at once and learn of it
// only when both have synced: such loans are both kept, marked, and flagged for the librarian
// (double_loan); the fold never picks a winner. Overlap is judged on the events' true times, after
// the whole page is applied, so a desk's loan and return pushed together are seen as one interval.
import { isLibraryEventType, libraryEventDataSchema, type LibraryEventData } from '../../protocol/index.js';
import type { HubEvent } from '../storage.js';
import { LOAN_COLUMNS, OPEN_END, type LibrarySql, type LoanRow } from './sql.js';
import type { LoanFlagKind } from './types.js';

interface FoldContext {
  sql: LibrarySql;
  nowMs: number;
  loansInPage: string[];
}

function eventMs(event: HubEvent): number {
  return Date.parse(event.trueAt ?? event.receivedAt);
}

async function flag(ctx: FoldContext, kind: LoanFlagKind, copyId: string, eventId: string, otherEventId: string, detail: Record<string, unknown>): Promise<void> {
  await ctx.sql.query(
    `INSERT INTO library_flags (kind, copy_id, event_id, other_event_id, detail, created_ms) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (kind, event_id, other_event_id) DO NOTHING`,
    [kind, copyId, eventId, otherEventId, JSON.stringify(detail), ctx.nowMs],
  );
}

async function foldLoan(ctx: FoldContext, event: HubEvent, data: LibraryEventData): Promise<void> {
  const inserted = await ctx.sql.query<{ event_id: string }>(
    `INSERT INTO library_loans (event_id, copy_id, borrower_id, device_id, hub_seq, loaned_ms, due_date, renewals, conflict)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [event.event.id, data.copyId, event.event.personId, event.deviceId, event.hubSeq, eventMs(event), data.dueDate],
  );
  if (inserted.length === 0) return;
  ctx.loansInPage.push(event.event.id);
  const known = await ctx.sql.query<{ barcode: string }>('SELECT barcode FROM library_copies WHERE barcode = $1', [data.copyId]);
  if (known.length === 0) await flag(ctx, 'unknown_copy', data.copyId, event.event.id, '', { deviceId: event.deviceId });
}

/** The open loan a return or renewal is about: the one it names, else the borrower's, else the oldest. */
async function targetLoan(ctx: FoldContext, event: HubEvent, data: LibraryEventData): Promise<LoanRow | null> {
  if (data.loanEventId !== null) {
    const named = await ctx.sql.query<LoanRow>(`SELECT ${LOAN_COLUMNS} FROM library_loans WHERE event_id = $1 AND copy_id = $2 AND returned_ms IS NULL`, [data.loanEventId, data.copyId]);
    if (named[0]) return named[0];
  }
  const open = await ctx.sql.query<LoanRow>(`SELECT ${LOAN_COLUMNS} FROM library_loans WHERE copy_id = $1 AND returned_ms IS NULL ORDER BY loaned_ms, event_id`, [data.copyId]);
  return open.find((loan) => loan.borrower_id === event.event.personId) ?? open[0] ?? null;
}

async function foldReturn(ctx: FoldContext, event: HubEvent, data: LibraryEventData): Promise<void> {
  const loan = await targetLoan(ctx, event, data);
  if (loan === null) {
    await flag(ctx, 'return_without_loan', data.copyId, event.event.id, '', { deviceId: event.deviceId });
    return;
  }
  await ctx.sql.query('UPDATE library_loans SET returned_ms = $1, return_event_id = $2 WHERE event_id = $3 AND returned_ms IS NULL', [eventMs(event), event.event.id, loan.event_id]);
}

async function foldRenew(ctx: FoldContext, event: HubEvent, data: LibraryEventData): Promise<void> {
  const loan = await targetLoan(ctx, event, data);
  if (loan === null) {
    await flag(ctx, 'renew_without_loan', data.copyId, event.event.id, '', { deviceId: event.deviceId });
    return;
  }
  await ctx.sql.query('UPDATE library_loans SET due_date = $1, renewals = $2 WHERE event_id = $3', [data.dueDate, Math.max(data.renewals, loan.renewals + 1), loan.event_id]);
}

/** Flags every loan of the same copy whose interval overlaps a loan this page added. */
async function flagOverlaps(ctx: FoldContext, eventId: string): Promise<void> {
  const rows = await ctx.sql.query<LoanRow>(`SELECT ${LOAN_COLUMNS} FROM library_loans WHERE event_id = $1`, [eventId]);
  const loan = rows[0];
  if (!loan) return;
  const others = await ctx.sql.query<LoanRow>(
    `SELECT ${LOAN_COLUMNS} FROM library_loans
     WHERE copy_id = $1 AND event_id <> $2 AND loaned_ms < $3 AND $4 < COALESCE(returned_ms, $5)`,
    [loan.copy_id, loan.event_id, loan.returned_ms ?? OPEN_END, loan.loaned_ms, OPEN_END],
  );
  for (const other of others) {
    // One flag per pair, whichever of the two was folded last.
    const [first, second] = loan.event_id < other.event_id ? [loan, other] : [other, loan];
    await flag(ctx, 'double_loan', loan.copy_id, first.event_id, second.event_id, {
      devices: [first.device_id, second.device_id], borrowers: [first.borrower_id, second.borrower_id], loanedMs: [first.loaned_ms, second.loaned_ms],
    });
    await ctx.sql.query('UPDATE library_loans SET conflict = 1 WHERE event_id = $1 OR event_id = $2', [first.event_id, second.event_id]);
  }
}

/** Applies a page of hub events; events other than library ones are passed over. */
export async function foldEvents(sql: LibrarySql, events: readonly HubEvent[], nowMs: number): Promise<void> {
  const ctx: FoldContext = { sql, nowMs, loansInPage: [] };
  for (const event of events) {
    if (!isLibraryEventType(event.event.type)) continue;
    const parsed = libraryEventDataSchema.safeParse(event.event.data ?? {});
    if (!parsed.success) {
      // One bad event must not stop the fold: it is flagged and passed over.
      await flag(ctx, 'invalid_event', '', event.event.id, '', { deviceId: event.deviceId, error: parsed.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    if (event.event.type === 'library.loan') await foldLoan(ctx, event, parsed.data);
    else if (event.event.type === 'library.return') await foldReturn(ctx, event, parsed.data);
    else await foldRenew(ctx, event, parsed.data);
  }
  for (const eventId of ctx.loansInPage) await flagOverlaps(ctx, eventId);
}
