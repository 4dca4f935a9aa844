// The console's tables on the hub's SQLite database (the same file and connection as the hub's own
// tables, so one transaction queue orders everything). CREATE ... IF NOT EXISTS at start-up, like
// the hub's SQLite schema.
import type { HubDb } from '../db.js';
import { ACCOUNT_COLUMNS, rowToAccount, rowToAudit, rowToPerson, type AccountRow, type AuditRow } from './rows.js';
import type { AccountRecord, AuditEntry, AuditRecord, ConsoleStore, DeviceHealthRow, NewAccount, RosterPerson } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS console_accounts (
  id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, role TEXT NOT NULL, class_name TEXT,
  password_hash TEXT NOT NULL, failed_attempts INTEGER NOT NULL DEFAULT 0, locked_at_ms INTEGER, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS console_sessions (
  id TEXT PRIMARY KEY, account_id TEXT, data TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS console_sessions_account ON console_sessions (account_id);
CREATE TABLE IF NOT EXISTS console_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS console_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, account_id TEXT, username TEXT NOT NULL,
  action TEXT NOT NULL, address TEXT NOT NULL, subject TEXT, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_audit_account ON console_audit (account_id, at_ms);
-- Today's first entries (attendance) read a day of grants, not the whole event history.
CREATE INDEX IF NOT EXISTS console_events_granted ON events (true_ms) WHERE type = 'access.granted';
-- Audit records are evidence: the database itself refuses to change or remove one.
CREATE TRIGGER IF NOT EXISTS console_audit_no_update BEFORE UPDATE ON console_audit
  BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS console_audit_no_delete BEFORE DELETE ON console_audit
  BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END;
`;

export class SqliteConsoleStore implements ConsoleStore {
  constructor(private readonly db: HubDb) {}

  migrate(): Promise<void> {
    return this.db.exec(SCHEMA);
  }

  async createAccount(a: NewAccount): Promise<boolean> {
    const result = await this.db.run(
      `INSERT INTO console_accounts (id, username, display_name, role, class_name, password_hash, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [a.id, a.username, a.displayName, a.role, a.className, a.passwordHash, a.createdMs],
    );
    return result.changes === 1;
  }

  async accountByName(username: string): Promise<AccountRecord | null> {
    const row = await this.db.get<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM console_accounts WHERE username = ?`, [username]);
    return row ? rowToAccount(row) : null;
  }

  async accountById(id: string): Promise<AccountRecord | null> {
    const row = await this.db.get<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM console_accounts WHERE id = ?`, [id]);
    return row ? rowToAccount(row) : null;
  }

  async listAccounts(): Promise<AccountRecord[]> {
    const rows = await this.db.all<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM console_accounts ORDER BY username`);
    return rows.map(rowToAccount).filter((a): a is AccountRecord => a !== null);
  }

  async countAttempt(username: string, nowMs: number, lockAt: number): Promise<number | null> {
    // One statement: two concurrent attempts each get their own count, so no more than lockAt are ever verified.
    const row = await this.db.get<{ failed_attempts: number }>(
      `UPDATE console_accounts SET failed_attempts = MIN(failed_attempts + 1, 1000000),
         locked_at_ms = CASE WHEN failed_attempts + 1 >= ? AND locked_at_ms IS NULL THEN ? ELSE locked_at_ms END
       WHERE username = ? RETURNING failed_attempts`,
      [lockAt, nowMs, username],
    );
    return row ? row.failed_attempts : null;
  }

  async clearAttempts(id: string): Promise<void> {
    await this.db.run('UPDATE console_accounts SET failed_attempts = 0, locked_at_ms = NULL WHERE id = ?', [id]);
  }

  async setPassword(id: string, passwordHash: string): Promise<boolean> {
    return (await this.db.run('UPDATE console_accounts SET password_hash = ? WHERE id = ?', [passwordHash, id])).changes === 1;
  }

  async unlock(id: string): Promise<boolean> {
    return (await this.db.run('UPDATE console_accounts SET failed_attempts = 0, locked_at_ms = NULL WHERE id = ?', [id])).changes === 1;
  }

  async sessionSecret(candidate: string): Promise<string> {
    await this.db.run("INSERT INTO console_meta (key, value) VALUES ('session_secret', ?) ON CONFLICT DO NOTHING", [candidate]);
    const row = await this.db.get<{ value: string }>("SELECT value FROM console_meta WHERE key = 'session_secret'");
    return row?.value ?? candidate;
  }

  async saveSession(id: string, accountId: string | null, data: string, expiresMs: number): Promise<void> {
    await this.db.run(
      'INSERT INTO console_sessions (id, account_id, data, expires_ms) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, data = excluded.data, expires_ms = excluded.expires_ms',
      [id, accountId, data, expiresMs],
    );
  }

  async loadSession(id: string, nowMs: number): Promise<string | null> {
    const row = await this.db.get<{ data: string }>('SELECT data FROM console_sessions WHERE id = ? AND expires_ms > ?', [id, nowMs]);
    return row?.data ?? null;
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.run('DELETE FROM console_sessions WHERE id = ?', [id]);
  }

  async deleteSessionsOf(accountId: string): Promise<void> {
    await this.db.run('DELETE FROM console_sessions WHERE account_id = ?', [accountId]);
  }

  async deleteExpiredSessions(nowMs: number): Promise<number> {
    return (await this.db.run('DELETE FROM console_sessions WHERE expires_ms <= ?', [nowMs])).changes;
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.db.run('INSERT INTO console_audit (at_ms, account_id, username, action, address, subject, detail) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      e.atMs, e.accountId, e.username, e.action, e.address, e.subject, JSON.stringify(e.detail),
    ]);
  }

  async auditOf(accountId: string, fromMs: number, toMs: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db.all<AuditRow>('SELECT * FROM console_audit WHERE account_id = ? AND at_ms >= ? AND at_ms < ? ORDER BY id LIMIT ?', [accountId, fromMs, toMs, limit]);
    return rows.map(rowToAudit);
  }

  async rosterPeople(): Promise<RosterPerson[]> {
    const rows = await this.db.all<{ entity_id: string; data: string | null }>("SELECT entity_id, data FROM roster WHERE type = 'person' AND op = 'upsert'");
    return rows.map(rowToPerson).filter((p): p is RosterPerson => p !== null);
  }

  async firstArrivals(fromMs: number, toMs: number): Promise<Map<string, number>> {
    const rows = await this.db.all<{ person_id: string | null; first_ms: number }>(
      `SELECT json_extract(body, '$.personId') AS person_id, MIN(true_ms) AS first_ms FROM events
       WHERE type = 'access.granted' AND true_ms >= ? AND true_ms < ? AND json_extract(body, '$.direction') IS NOT 'out'
       GROUP BY 1`,
      [fromMs, toMs],
    );
    return new Map(rows.filter((r) => typeof r.person_id === 'string').map((r) => [r.person_id as string, Number(r.first_ms)]));
  }

  async dailyFirstArrivals(fromMs: number, toMs: number, offsetMs: number): Promise<Array<{ personId: string; firstMs: number }>> {
    const rows = await this.db.all<{ person_id: string | null; first_ms: number }>(
      `SELECT json_extract(body, '$.personId') AS person_id, MIN(true_ms) AS first_ms FROM events
       WHERE type = 'access.granted' AND true_ms >= ? AND true_ms < ? AND json_extract(body, '$.direction') IS NOT 'out'
       GROUP BY 1, (true_ms + ?) / 86400000`,
      [fromMs, toMs, offsetMs],
    );
    return rows.filter((r) => typeof r.person_id === 'string').map((r) => ({ personId: r.person_id as string, firstMs: Number(r.first_ms) }));
  }

  async dailyLastExits(fromMs: number, toMs: number, offsetMs: number): Promise<Array<{ personId: string; lastMs: number }>> {
    const rows = await this.db.all<{ person_id: string | null; last_ms: number }>(
      `SELECT json_extract(body, '$.personId') AS person_id, MAX(true_ms) AS last_ms FROM events
       WHERE type = 'access.granted' AND true_ms >= ? AND true_ms < ? AND json_extract(body, '$.direction') = 'out'
       GROUP BY 1, (true_ms + ?) / 86400000`,
      [fromMs, toMs, offsetMs],
    );
    return rows.filter((r) => typeof r.person_id === 'string').map((r) => ({ personId: r.person_id as string, lastMs: Number(r.last_ms) }));
  }

  async deviceHealth(sinceMs: number): Promise<DeviceHealthRow[]> {
    const rows = await this.db.all<{ id: string; name: string | null; disabled: number; last_ms: number | null; recent: number }>(
      `SELECT d.id, d.name, d.disabled, (SELECT MAX(received_ms) FROM events e WHERE e.device_id = d.id) AS last_ms,
              (SELECT COUNT(*) FROM events e WHERE e.device_id = d.id AND e.received_ms >= ?) AS recent
       FROM devices d ORDER BY d.id`,
      [sinceMs],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, disabled: r.disabled === 1, lastReceivedMs: r.last_ms, eventsSince: r.recent }));
  }
}
