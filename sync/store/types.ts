// The store's public vocabulary: events as they are recorded and synced (PROTOCOL.md, docs/protocol.md),
// and the roster as the upstream sends it. sync/ imports nothing of the project, so the device's
// clock and policy types meet these structurally.

import type { CredentialKind, Direction, DisplayConsent, EventType, Modality, PersonRole, PersonStatus, TokenKind } from './vocabulary.js';

export * from './vocabulary.js';

/** What the caller knows about an event; the log adds identity, sequence and time. */
export interface EventDraft {
  type: EventType;
  door: string | null;
  direction: Direction | null;
  personId: string | null;
  /** Never the raw card number or a template: a credential id, a masked value, or a match score. */
  credential: { kind: CredentialKind; ref?: string; score?: number } | null;
  /** A stable reason code (deny reasons, alarm kinds), null for a plain grant. */
  reason: string | null;
  /** Extra fields carried to upstream as-is (audit actor and action, flags such as soft anti-passback). */
  data?: Record<string, unknown>;
}

export interface StoredEvent extends EventDraft {
  /** UUIDv7 made on the device: the idempotency key upstream. */
  id: string;
  /** Persistent, strictly increasing, gapless per device. */
  seq: number;
  deviceId: string;
  bootId: string;
  /** Monotonic milliseconds since this boot (process.hrtime based); orders events when the wall clock jumps. */
  monoMs: number;
  /** Wall-clock epoch milliseconds as the device believed it at the time. */
  wallMs: number;
  /** ISO-8601 of wallMs with the school's UTC offset. */
  at: string;
  /** False while the wall clock is not known to be synchronised (no RTC, before NTP or a hub Date header). */
  timeTrusted: boolean;
}

/** Time as the event log needs it; the device's Clock implements this. */
export interface EventClock {
  wallMs(): number;
  monoMs(): number;
  trusted(): boolean;
  /** UTC offset of the school in minutes (Kazakhstan: +300). */
  utcOffsetMinutes(): number;
}

/** A person's most recent granted passage (anti-passback), as the store reads it back at start-up. */
export interface LastPassage {
  direction: Direction;
  door: string;
  wallMs: number;
}

export type SyncState = 'pending' | 'synced' | 'quarantined';

export interface AppendOptions {
  /**
   * A one-time credential (visitor QR) this grant uses up: recorded in the same transaction as the
   * event, so the grant and the consumption are durable together or not at all. An id already
   * consumed rejects the append (CredentialConsumedError) without touching the log.
   */
  consumeCredentialId?: string;
}

/** Durable, append-only event log with group commit. */
export interface EventLog {
  /**
   * Resolves only when the event is committed with synchronous=FULL. Concurrent appends share one
   * transaction (group commit). Rejects (and assigns no seq) when the write fails, e.g. disk full.
   */
  append(draft: EventDraft, opts?: AppendOptions): Promise<StoredEvent>;
  lastSeq(): number;
  /** Events with seq > afterSeq, oldest first. */
  since(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** Events whose wallMs lies in [fromMs, toMs), oldest first (lobby board: today's arrivals). */
  between(fromMs: number, toMs: number, types?: EventType[]): Promise<StoredEvent[]>;
}

export interface OutboxBacklog {
  pending: number;
  quarantined: number;
  oldestPendingSeq: number | null;
}

/** The unsent part of the event log, as the sync client sees it. */
export interface EventOutbox {
  /** Oldest pending events first, at most `limit` events and about `maxBytes` of JSON. */
  nextBatch(limit: number, maxBytes: number): Promise<StoredEvent[]>;
  markSynced(ids: readonly string[]): Promise<void>;
  quarantine(rejected: ReadonlyArray<{ id: string; error: string }>): Promise<void>;
  backlog(): Promise<OutboxBacklog>;
}

// ---- Roster (pulled from upstream, applied atomically) ----

export interface Person {
  id: string;
  name: string;
  shortName: string | null;
  group: string | null;
  role: PersonRole;
  status: PersonStatus;
  validFrom: string | null;
  validTo: string | null;
  /** No biometric template may be enrolled or used without it. */
  biometricConsent: boolean;
  displayConsent: DisplayConsent;
}

export interface Credential {
  id: string;
  personId: string;
  kind: TokenKind;
  /** Card UID (upper-case hex) or QR payload. */
  value: string;
  validFrom: string | null;
  validTo: string | null;
  /** One-time QR for a visitor: consumed by its first grant. */
  singleUse: boolean;
}

export interface TemplateRecord {
  id: string;
  personId: string;
  modality: Modality;
  /** Algorithm and model version, e.g. "faceapi-resnet128-v1/aligned150"; a mismatch is kept but unused. */
  algo: string;
  /** Little-endian float32 vector. Encrypted at rest by the store; plain only in memory. */
  vector: Float32Array;
}

export interface WeeklyWindow {
  /** ISO weekday numbers, 1 = Monday ... 7 = Sunday. */
  days: number[];
  from: string; // "07:00"
  to: string; // "19:00"
}

export interface Schedule {
  id: string;
  /** Group names, or "*" for all. */
  groups: string[];
  roles: PersonRole[];
  weekly: WeeklyWindow[];
  /** Doors this schedule applies to; empty = all doors. */
  doors: string[];
}

export interface Holiday {
  date: string; // "2026-12-16"
  name: string;
}

export type RosterChange =
  | { op: 'upsert'; type: 'person'; data: Person }
  | { op: 'upsert'; type: 'credential'; data: Credential }
  | { op: 'upsert'; type: 'template'; data: TemplateRecord }
  | { op: 'upsert'; type: 'schedule'; data: Schedule }
  | { op: 'upsert'; type: 'holiday'; data: Holiday }
  | { op: 'upsert'; type: 'setting'; data: { key: string; value: unknown } }
  | { op: 'delete'; type: 'person' | 'credential' | 'template' | 'schedule' | 'holiday' | 'setting'; id: string };

/** Everything the hot path needs, loaded into memory at start and after each applied page. */
export interface RosterSnapshot {
  people: Map<string, Person>;
  /** Keyed by `${kind}:${value}`. */
  credentials: Map<string, Credential>;
  templates: TemplateRecord[];
  schedules: Schedule[];
  holidays: Set<string>;
  settings: Map<string, unknown>;
}

export interface RosterApplyResult {
  applied: number;
  /** Person ids deleted or blocked by this page: the caller purges them from memory (matcher, caches). */
  purgedPersonIds: string[];
}

/** The persisted roster. Every method is one transaction. */
export interface RosterStore {
  load(): Promise<RosterSnapshot>;
  /**
   * Applies one pulled page and stores `cursor` in the same transaction; nothing partial on error.
   * With `replace`, the page set starting at this call replaces the whole roster when `complete` is true
   * (a 410 Gone full re-pull): callers stage pages with replace=true and finish with complete=true.
   */
  applyPage(changes: readonly RosterChange[], cursor: string, opts?: { replace?: boolean; complete?: boolean }): Promise<RosterApplyResult>;
  cursor(): Promise<string | null>;
  /** Local changes (enrolment, technician block/erase) go through the same path as upstream ones. */
  applyLocal(changes: readonly RosterChange[]): Promise<RosterApplyResult>;
}
