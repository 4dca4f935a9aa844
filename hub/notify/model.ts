// The parents' notifier's words and what it needs from a database, implemented twice
// (sqlite-store.ts, pg-store.ts) like the hub's own storage. Every guarantee lives in the database:
// a code is redeemed once, an outbox row exists once per key, one process delivers a row at a time.

export type Language = 'kk' | 'ru' | 'en';
export const LANGUAGES: readonly Language[] = ['kk', 'ru', 'en'];
export type Channel = 'telegram' | 'webhook';
export type NoticeKind = 'arrival' | 'departure' | 'late' | 'absent' | 'meal' | 'low_balance' | 'overdue';

/**
 * What a canteen or library notice says beyond the first name and time (issues 19, 20): money in
 * integer tiyn, a period id, a book's title and due date. Never an ИИН, a class or another child.
 */
export type NoticeDetail =
  | { kind: 'meal'; period: string; free: boolean; chargeTiyn: number; balanceTiyn: number | null }
  | { kind: 'low_balance'; balanceTiyn: number; thresholdTiyn: number }
  | { kind: 'overdue'; loanId: string; title: string | null; dueDate: string };

/** One guardian of one child. A grandparent of two children is two rows: each link is confirmed on its own. */
export interface GuardianRecord {
  id: string;
  personId: string;
  language: Language;
  /** Set only once a one-time code was redeemed from this chat; null after /stop. */
  telegramChat: string | null;
  webhookUrl: string | null;
  /** Standard Webhooks secret (whsec_...). Kept in clear: it is needed to sign. Never logged. */
  webhookSecret: string | null;
  createdMs: number;
  /** The school unlinked this guardian: nothing more is sent on any channel. */
  unlinkedMs: number | null;
  /** Local HH:MM window in which nothing is sent to this guardian (held until it ends); null: none. */
  quiet: QuietHours | null;
}

/** start..end in the school's local time; end before start wraps past midnight (22:00..07:00). */
export interface QuietHours {
  start: string;
  end: string;
}

/** A parents' page link: only the SHA-256 of its token is kept; the form token guards its POSTs. */
export interface PageLink {
  hash: string;
  guardianIds: string[];
  formToken: string;
  expiresMs: number;
  createdMs: number;
}

/** One passage of a child, as the parents' page lists it. */
export interface PassageRow {
  personId: string;
  atMs: number;
  door: string | null;
  direction: 'in' | 'out';
}

/** What a notice says: a first name, a time, a door and a direction; never a photo, an ИИН or a class. */
export interface NoticePayload {
  kind: NoticeKind;
  eventId: string;
  personId: string;
  firstName: string;
  /** ISO time of the passage (the event's true time, else its receipt). */
  at: string;
  door: string | null;
  /** The canteen's and library's notices only. */
  detail?: NoticeDetail;
}

/** claimed: taken by a process, not yet handed to the channel; sending: being handed over (may have gone out). */
export type OutboxState = 'pending' | 'claimed' | 'sending' | 'sent' | 'failed' | 'in_doubt' | 'cancelled';

export interface NewOutboxRow {
  /** eventId:guardianId:channel — the idempotency key, also the webhook-id the receiver dedups by. */
  key: string;
  guardianId: string;
  channel: Channel;
  payload: NoticePayload;
}

export interface OutboxRow extends NewOutboxRow {
  state: OutboxState;
  attempts: number;
  dueMs: number;
  lastError: string | null;
  sentMs: number | null;
}

/** A row claimed for delivery; `wasSending` when an earlier claim's process died while handing it to the channel. */
export interface ClaimedRow extends OutboxRow {
  wasSending: boolean;
}

/** A child's first arrival of a school day (local date), recorded by the planner with its page. */
export interface Presence {
  personId: string;
  day: string;
  atMs: number;
}

/**
 * The compare-and-set move of a named cursor, for both dialects ($n placeholders; the SQLite store
 * rewrites them): the row is created by its first move (from 0), so a new cursor needs no
 * migration. Two processes racing on the first move: one inserts, the other's upsert finds the row
 * no longer at `from` and returns nothing.
 */
export const FEED_CURSOR_MOVE = `INSERT INTO notify_cursor (name, hub_seq) VALUES ($1, $3)
  ON CONFLICT (name) DO UPDATE SET hub_seq = excluded.hub_seq WHERE notify_cursor.hub_seq = $2 RETURNING hub_seq`;
export const FEED_CURSOR_READ = 'SELECT hub_seq FROM notify_cursor WHERE name = $1';

export function outboxKey(eventId: string, guardianId: string, channel: Channel): string {
  return `${eventId}:${guardianId}:${channel}`;
}

export interface NotifyStore {
  migrate(): Promise<void>;
  close(): Promise<void>;

  addGuardian(guardian: { id: string; personId: string; language: Language; createdMs: number }): Promise<void>;
  guardian(id: string): Promise<GuardianRecord | null>;
  guardiansOf(personId: string): Promise<GuardianRecord[]>;
  /** Guardians not unlinked that have at least one channel, for these children. */
  activeGuardians(personIds: readonly string[]): Promise<GuardianRecord[]>;
  allActiveGuardians(): Promise<GuardianRecord[]>;
  /** The linked guardian rows bound to a Telegram chat (a grandparent of two children: two rows). */
  guardiansOfChat(chat: string): Promise<GuardianRecord[]>;
  addCode(hash: string, guardianId: string, expiresMs: number): Promise<void>;
  /**
   * Atomically: the code exists, is unused, unexpired and its guardian not unlinked; marks it used and
   * binds the chat. Null otherwise (nothing changes).
   */
  redeemCode(hash: string, chat: string, nowMs: number): Promise<GuardianRecord | null>;
  /** /stop: every guardian bound to the chat loses its Telegram channel. Returns how many. */
  stopChat(chat: string): Promise<number>;
  unlinkGuardian(id: string, nowMs: number): Promise<boolean>;
  setWebhook(id: string, url: string | null, secret: string | null): Promise<boolean>;

  cursor(): Promise<number>;
  /**
   * Inserts the rows (a key already there is left alone) and moves the cursor from `from` to `to`,
   * in one transaction. False, with nothing written, when the cursor is no longer at `from` (another
   * hub process planned the page first).
   */
  plan(from: number, to: number, rows: readonly NewOutboxRow[], presence: readonly Presence[], nowMs: number): Promise<boolean>;
  /** A named cursor other than the events' one (the canteen's folded meals: 'meals'); 0 before its first move. */
  feedCursor(name: string): Promise<number>;
  /**
   * Like plan() for a named cursor: the rows and the cursor's move from `from` to `to` in one
   * transaction; false, nothing written, when another process moved it first.
   */
  planFeed(name: string, from: number, to: number, rows: readonly NewOutboxRow[], nowMs: number): Promise<boolean>;
  /** Rows not tied to the cursor (absent notices); a key already there is left alone. */
  addRows(rows: readonly NewOutboxRow[], nowMs: number): Promise<void>;
  /** Which (child, school day) pairs have a recorded first arrival, as 'personId|day'. */
  present(pairs: ReadonlyArray<{ personId: string; day: string }>): Promise<Set<string>>;
  /**
   * Takes up to `limit` rows that are pending and due, or were claimed by a process whose lease ran
   * out; marks them claimed until `nowMs + leaseMs` and counts the attempt. Two processes never
   * claim the same row at once.
   */
  claim(nowMs: number, leaseMs: number, limit: number): Promise<ClaimedRow[]>;
  /** Committed right before the row is handed to a channel that cannot dedup (Telegram). */
  markSending(key: string): Promise<void>;
  markSent(key: string, nowMs: number): Promise<void>;
  markRetry(key: string, dueMs: number, error: string): Promise<void>;
  markFinal(key: string, state: 'failed' | 'in_doubt' | 'cancelled', error: string): Promise<void>;
  outbox(state?: OutboxState): Promise<OutboxRow[]>;
  /** The operator sends a failed or in-doubt row again (a fresh count of attempts). False for any other state. */
  requeue(key: string, nowMs: number): Promise<boolean>;
  /** A row due inside its guardian's quiet hours goes back to pending until `dueMs`; the claim's attempt is not counted. */
  hold(key: string, dueMs: number): Promise<void>;

  setQuietHours(id: string, quiet: QuietHours | null): Promise<boolean>;
  addPageLink(link: PageLink): Promise<void>;
  pageLink(hash: string): Promise<PageLink | null>;
  /** Consent to notices about the child withdrawn (kept once: the first withdrawal's guardian and time). */
  withdrawNotices(personId: string, guardianId: string, nowMs: number): Promise<void>;
  /** Of these children, those whose notices consent was withdrawn. */
  noticesWithdrawn(personIds: readonly string[]): Promise<Set<string>>;
  /** Granted passages in or out of these children with a true time in [fromMs, toMs), oldest first. */
  passages(personIds: readonly string[], fromMs: number, toMs: number): Promise<PassageRow[]>;
}

export interface PageLinkDbRow {
  hash: string;
  guardian_ids: string;
  form_token: string;
  expires_ms: number;
  created_ms: number;
}

export function toPageLink(row: PageLinkDbRow): PageLink {
  return { hash: row.hash, guardianIds: row.guardian_ids.split(','), formToken: row.form_token, expiresMs: Number(row.expires_ms), createdMs: Number(row.created_ms) };
}

export interface PassageDbRow {
  person_id: string;
  at_ms: number;
  door: string | null;
  direction: string;
}

export function toPassage(row: PassageDbRow): PassageRow {
  return { personId: row.person_id, atMs: Number(row.at_ms), door: row.door, direction: row.direction === 'out' ? 'out' : 'in' };
}

/** The database row both stores read (snake_case columns). */
export interface GuardianDbRow {
  id: string;
  person_id: string;
  language: string;
  telegram_chat: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_ms: number;
  unlinked_ms: number | null;
  quiet_start: string | null;
  quiet_end: string | null;
}

export interface OutboxDbRow {
  key: string;
  guardian_id: string;
  channel: string;
  payload: string;
  state: string;
  attempts: number;
  due_ms: number;
  last_error: string | null;
  sent_ms: number | null;
}

export function toGuardian(row: GuardianDbRow): GuardianRecord {
  const language = LANGUAGES.find((l) => l === row.language) ?? 'ru';
  return {
    id: row.id, personId: row.person_id, language, telegramChat: row.telegram_chat, webhookUrl: row.webhook_url,
    webhookSecret: row.webhook_secret, createdMs: Number(row.created_ms), unlinkedMs: row.unlinked_ms === null ? null : Number(row.unlinked_ms),
    quiet: row.quiet_start !== null && row.quiet_end !== null ? { start: row.quiet_start, end: row.quiet_end } : null,
  };
}

export function toOutboxRow(row: OutboxDbRow): OutboxRow {
  return {
    key: row.key, guardianId: row.guardian_id, channel: row.channel === 'webhook' ? 'webhook' : 'telegram',
    payload: JSON.parse(row.payload) as NoticePayload, state: row.state as OutboxState, attempts: Number(row.attempts),
    dueMs: Number(row.due_ms), lastError: row.last_error, sentMs: row.sent_ms === null ? null : Number(row.sent_ms),
  };
}
