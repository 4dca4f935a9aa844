// What the data-subject requests need from the hub's database, on either storage (sqlite-store.ts,
// pg-store.ts). Its tables live beside the hub's own, so a request, the roster change it caused and
// the devices' acknowledgements share one database and one backup.
import type { DeviceAck, RequestStatus, StoredRequest } from './model.js';

/** One roster row about the person as stored (data parsed; template vectors are removed by the caller). */
export interface HeldRosterRow {
  cursor: number;
  type: string;
  entityId: string;
  op: string;
  data: Record<string, unknown> | null;
}

export interface HeldEvent {
  hubSeq: number;
  deviceId: string;
  receivedMs: number;
  body: Record<string, unknown>;
}

export interface HeldAlarm {
  id: number;
  deviceId: string;
  kind: string;
  atMs: number;
  detail: string;
}

export interface HeldGuardian {
  id: string;
  language: string;
  channels: string[];
  createdMs: number;
  notices: number;
}

export interface Holdings {
  roster: HeldRosterRow[];
  events: HeldEvent[];
  alarms: HeldAlarm[];
  /** Parents' notifier links (hub/notify), when that module's tables exist. */
  guardians: HeldGuardian[];
  /** Console audit records whose subject is the person (hub/console), when that table exists. */
  audit: HeldAudit[];
  /** What the console keeps beside the roster (hub/console people): ИИН, name parts, birth date, guardians' phones. */
  details: HeldDetails | null;
}

export interface HeldDetails {
  person: Record<string, unknown> | null;
  guardians: Array<{ id: string; name: string; phone: string }>;
  /** The console's consent records about the child (hub/console/consent-store.ts), oldest first. */
  consents: Array<Record<string, unknown>>;
}

/** The console's people tables, read the same way on both storages (positional parameter: the person id). */
export const CONSOLE_DETAILS_SQL = {
  person: 'SELECT iin, surname, given_name, patronymic, birth_date, updated_ms FROM console_people WHERE person_id = $1',
  guardians: 'SELECT g.id, g.name, g.phone FROM console_guardian_links l JOIN console_guardians g ON g.id = l.guardian_id WHERE l.child_id = $1 ORDER BY g.id',
  consents: 'SELECT id, guardian_id, guardian_name, action, purposes, channel, given_on, until_on, recorded_ms, recorded_by FROM console_consents WHERE child_id = $1 ORDER BY id',
  /** A destruction erases the consent records too: they name the child's guardian. */
  eraseConsents: 'DELETE FROM console_consents WHERE child_id = $1',
};

export interface HeldAudit {
  id: number;
  atMs: number;
  username: string;
  action: string;
  subject: string;
}

/** What erasing the hub's own copies changed, for the destruction record. */
export interface ErasureCounts {
  eventsPseudonymised: number;
  notifyRowsDeleted: number;
  /** The console's hub-only details: the child's ИИН and name parts, guardian links, orphaned guardians' phones. */
  consoleRowsDeleted: number;
  /** SQLite: whether the WAL was copied back and truncated (another connection's reader can hold it). */
  walTruncated?: boolean;
}

export interface PrivacyStore {
  migrate(): Promise<void>;
  insertRequest(request: StoredRequest): Promise<void>;
  request(id: string): Promise<StoredRequest | null>;
  listRequests(status: RequestStatus | null, limit: number): Promise<StoredRequest[]>;
  updateRequest(request: StoredRequest): Promise<void>;
  /** Keeps the highest cursor a device has said it applied, never above the roster's top. */
  recordRosterAck(deviceId: string, cursor: number, atMs: number): Promise<void>;
  rosterAcks(): Promise<DeviceAck[]>;
  holdings(personId: string, eventLimit: number): Promise<Holdings>;
  /**
   * Rewrites the person's events under `pseudonym` (dropping credential refs and free data), deletes
   * the notifier's rows about them, and leaves no readable copy in the database files (SQLite:
   * secure_delete and a truncating checkpoint).
   */
  eraseHubCopies(personId: string, pseudonym: string): Promise<ErasureCounts>;
}

/** A stored event body with the person replaced by a pseudonym and nothing else that could point back. */
export function pseudonymiseEvent(body: Record<string, unknown>, pseudonym: string): Record<string, unknown> {
  const credential = body.credential;
  const kind = typeof credential === 'object' && credential !== null && 'kind' in credential ? credential.kind : undefined;
  // Only the fields the door's record needs; unknown extras and `data` may carry anything.
  const keep = ['id', 'seq', 'deviceId', 'type', 'at', 'timeTrusted', 'wallMs', 'monoMs', 'bootId', 'door', 'direction', 'reason'];
  const out: Record<string, unknown> = {};
  for (const key of keep) if (key in body) out[key] = body[key];
  out.personId = pseudonym;
  out.credential = kind === undefined ? null : { kind };
  return out;
}

export interface RequestRow {
  id: string;
  kind: string;
  person_id: string;
  requester: string;
  channel: string;
  received_on: string;
  note: string;
  deadline: string;
  status: string;
  created_ms: number | string;
  target_cursor: number | string | null;
  executed_ms: number | string | null;
  closed_ms: number | string | null;
  record: string | null;
}

const num = (value: number | string | null): number | null => (value === null ? null : Number(value));

/** A stored row as a request; a record that is not JSON is shown as unreadable rather than thrown. */
export function rowToRequest(row: RequestRow): StoredRequest {
  let record: Record<string, unknown> | null = null;
  if (row.record !== null) {
    try {
      record = JSON.parse(row.record) as Record<string, unknown>;
    } catch {
      record = { unreadable: true };
    }
  }
  return {
    id: row.id,
    kind: row.kind as StoredRequest['kind'],
    personId: row.person_id,
    requester: row.requester,
    channel: row.channel as StoredRequest['channel'],
    receivedOn: row.received_on,
    note: row.note,
    deadline: row.deadline,
    status: row.status as RequestStatus,
    createdMs: Number(row.created_ms),
    targetCursor: num(row.target_cursor),
    executedMs: num(row.executed_ms),
    closedMs: num(row.closed_ms),
    record,
  };
}

export function requestParams(r: StoredRequest): Array<string | number | null> {
  return [r.id, r.kind, r.personId, r.requester, r.channel, r.receivedOn, r.note, r.deadline, r.status, r.createdMs, r.targetCursor, r.executedMs, r.closedMs, r.record === null ? null : JSON.stringify(r.record)];
}

export const REQUEST_COLUMNS = 'id, kind, person_id, requester, channel, received_on, note, deadline, status, created_ms, target_cursor, executed_ms, closed_ms, record';

export function parseJsonObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { unreadable: true };
  } catch {
    return { unreadable: true };
  }
}

/** The event's id when it is a string (stored bodies are not trusted to be well-formed). */
export function eventIdOf(body: Record<string, unknown> | null): string | null {
  return typeof body?.id === 'string' && body.id !== '' ? body.id : null;
}
