// Consent records under Law 94-V Art. 8: which child, which legal representative gave or withdrew it,
// when, by what channel, for which purposes and until when. Append-only: a withdrawal, a correction
// or an expired term is a new record, never an edit, so the history is the evidence. The table lives
// in the hub's database beside the console's people (SQLite here, PostgreSQL migration 14 in
// hub/pg-schema.ts). One class serves both storages: the SQL below is plain enough for both (positional
// `$n` parameters, which SQLite binds by order of first appearance), and each storage only supplies
// a two-method port, so there is no second copy of the queries to drift.
import type { HubDb } from '../db.js';
import type { PgDb } from '../pg-db.js';

export const consentPurposes = ['identification', 'board'] as const;
export type ConsentPurpose = (typeof consentPurposes)[number];

/** `term_expired`: written by the hub itself when a grant's term has passed (ConsentService.expireDue). */
export const consentChannels = ['paper', 'in_person', 'parent_page', 'egov', 'email', 'term_expired'] as const;
export type ConsentChannel = (typeof consentChannels)[number];

export interface ConsentRecord {
  id: string;
  childId: string;
  /** The legal representative (a guardian linked to the child); null for the hub's own expiry record. */
  guardianId: string | null;
  /** The guardian's name as it was when the record was made (the history must not change with an edit). */
  guardianName: string;
  action: 'grant' | 'withdraw';
  purposes: ConsentPurpose[];
  channel: ConsentChannel;
  /** The day the representative gave or withdrew it (YYYY-MM-DD, the school's calendar). */
  givenOn: string;
  /** A grant's term: valid through this day; null for no end date. Always null on a withdrawal. */
  until: string | null;
  recordedMs: number;
  /** The console account that entered it ('hub' for an expiry). */
  recordedBy: string;
  /** The roster cursor of the flag change it caused (null: the flags were already so). */
  rosterCursor: number | null;
  note: string;
}

export type ConsentSqlValue = string | number | null;

/** What the store needs of a database: the same two calls on SQLite and PostgreSQL. */
export interface ConsentSqlPort {
  all<T>(sql: string, params: readonly ConsentSqlValue[]): Promise<T[]>;
  run(sql: string, params: readonly ConsentSqlValue[]): Promise<void>;
}

export const CONSENT_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS console_consents (
  id TEXT PRIMARY KEY, child_id TEXT NOT NULL, guardian_id TEXT, guardian_name TEXT NOT NULL, action TEXT NOT NULL,
  purposes TEXT NOT NULL, channel TEXT NOT NULL, given_on TEXT NOT NULL, until_on TEXT, recorded_ms INTEGER NOT NULL,
  recorded_by TEXT NOT NULL, roster_cursor INTEGER, note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_consents_child ON console_consents (child_id, id);
`;

const COLUMNS = 'id, child_id, guardian_id, guardian_name, action, purposes, channel, given_on, until_on, recorded_ms, recorded_by, roster_cursor, note';

interface ConsentRow {
  id: string;
  child_id: string;
  guardian_id: string | null;
  guardian_name: string;
  action: string;
  purposes: string;
  channel: string;
  given_on: string;
  until_on: string | null;
  recorded_ms: number | string;
  recorded_by: string;
  roster_cursor: number | string | null;
  note: string;
}

function rowToRecord(r: ConsentRow): ConsentRecord {
  return {
    id: r.id, childId: r.child_id, guardianId: r.guardian_id, guardianName: r.guardian_name,
    action: r.action === 'grant' ? 'grant' : 'withdraw',
    // An unknown purpose in a stored row (a newer hub's) is skipped rather than trusted.
    purposes: r.purposes.split(',').filter((p): p is ConsentPurpose => (consentPurposes as readonly string[]).includes(p)),
    channel: r.channel as ConsentChannel, givenOn: r.given_on, until: r.until_on, recordedMs: Number(r.recorded_ms), recordedBy: r.recorded_by,
    rosterCursor: r.roster_cursor === null ? null : Number(r.roster_cursor), note: r.note,
  };
}

export class ConsentStore {
  constructor(
    private readonly db: ConsentSqlPort,
    /** SQLite creates its table here; PostgreSQL's is a migration the hub applied at open. */
    private readonly schema: string | null,
  ) {}

  static sqlite(db: HubDb): ConsentStore {
    return new ConsentStore({ all: (sql, params) => db.all(sql, params), run: async (sql, params) => void (await db.run(sql, params)) }, CONSENT_SQLITE_SCHEMA);
  }

  static postgres(db: PgDb): ConsentStore {
    // Rows are typed by the query that reads them, as everywhere the hub reads PostgreSQL.
    return new ConsentStore({ all: async <T,>(sql: string, params: readonly ConsentSqlValue[]) => (await db.query(sql, params)) as T[], run: async (sql, params) => void (await db.query(sql, params)) }, null);
  }

  async migrate(): Promise<void> {
    if (this.schema === null) return;
    for (const statement of this.schema.split(';').map((s) => s.trim()).filter((s) => s !== '')) await this.db.run(statement, []);
  }

  async append(r: ConsentRecord): Promise<void> {
    await this.db.run(`INSERT INTO console_consents (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
      r.id, r.childId, r.guardianId, r.guardianName, r.action, r.purposes.join(','), r.channel, r.givenOn, r.until, r.recordedMs, r.recordedBy, r.rosterCursor, r.note,
    ]);
  }

  /** The child's records, oldest first (ids are UUIDv7: time-ordered, and monotonic within a process). */
  async history(childId: string): Promise<ConsentRecord[]> {
    const rows = await this.db.all<ConsentRow>(`SELECT ${COLUMNS} FROM console_consents WHERE child_id = $1 ORDER BY id`, [childId]);
    return rows.map(rowToRecord);
  }

  /** Children with a grant whose term ended before `today`: the candidates of an expiry sweep. */
  async childrenWithLapsedGrants(today: string): Promise<string[]> {
    const rows = await this.db.all<{ child_id: string }>("SELECT DISTINCT child_id FROM console_consents WHERE action = 'grant' AND until_on IS NOT NULL AND until_on < $1 ORDER BY child_id", [today]);
    return rows.map((r) => r.child_id);
  }
}
