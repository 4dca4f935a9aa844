// The console's tables on the hub's PostgreSQL database. The schema is a numbered migration in
// hub/pg-schema.ts (console_accounts, console_sessions, console_meta, console_audit and the
// triggers that keep console_audit append-only); migrate() here has nothing left to do.
import type { PgQueryable } from '../pg-db.js';
import { ACCOUNT_COLUMNS, rowToAccount, rowToAudit, rowToPerson, type AccountRow, type AuditRow } from './rows.js';
import type { AccountRecord, AuditEntry, AuditRecord, ConsoleStore, DeviceHealthRow, NewAccount, RosterPerson } from './store.js';

export class PgConsoleStore implements ConsoleStore {
  constructor(private readonly db: PgQueryable) {}

  async migrate(): Promise<void> {
    // hub/pg-schema.ts MIGRATIONS holds the console's schema; the hub applied it at open.
  }

  async createAccount(a: NewAccount): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO console_accounts (id, username, display_name, role, class_name, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
      [a.id, a.username, a.displayName, a.role, a.className, a.passwordHash, a.createdMs],
    );
    return rows.length === 1;
  }

  async accountByName(username: string): Promise<AccountRecord | null> {
    const row = (await this.db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM console_accounts WHERE username = $1`, [username]))[0];
    return row ? rowToAccount(row) : null;
  }

  async accountById(id: string): Promise<AccountRecord | null> {
    const row = (await this.db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM console_accounts WHERE id = $1`, [id]))[0];
    return row ? rowToAccount(row) : null;
  }

  async listAccounts(): Promise<AccountRecord[]> {
    const rows = await this.db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM console_accounts ORDER BY username`);
    return rows.map(rowToAccount).filter((a): a is AccountRecord => a !== null);
  }

  async countAttempt(username: string, nowMs: number, lockAt: number): Promise<number | null> {
    // One statement takes the row lock: concurrent attempts (from several hub processes too) are counted one after another.
    const rows = await this.db.query<{ failed_attempts: number }>(
      `UPDATE console_accounts SET failed_attempts = LEAST(failed_attempts + 1, 1000000),
         locked_at_ms = CASE WHEN failed_attempts + 1 >= $1 AND locked_at_ms IS NULL THEN $2 ELSE locked_at_ms END
       WHERE username = $3 RETURNING failed_attempts`,
      [lockAt, nowMs, username],
    );
    return rows[0] ? Number(rows[0].failed_attempts) : null;
  }

  async clearAttempts(id: string): Promise<void> {
    await this.db.query('UPDATE console_accounts SET failed_attempts = 0, locked_at_ms = NULL WHERE id = $1', [id]);
  }

  async setPassword(id: string, passwordHash: string): Promise<boolean> {
    return (await this.db.query('UPDATE console_accounts SET password_hash = $1 WHERE id = $2 RETURNING id', [passwordHash, id])).length === 1;
  }

  async unlock(id: string): Promise<boolean> {
    return (await this.db.query('UPDATE console_accounts SET failed_attempts = 0, locked_at_ms = NULL WHERE id = $1 RETURNING id', [id])).length === 1;
  }

  async sessionSecret(candidate: string): Promise<string> {
    await this.db.query("INSERT INTO console_meta (key, value) VALUES ('session_secret', $1) ON CONFLICT DO NOTHING", [candidate]);
    const row = (await this.db.query<{ value: string }>("SELECT value FROM console_meta WHERE key = 'session_secret'"))[0];
    return row?.value ?? candidate;
  }

  async saveSession(id: string, accountId: string | null, data: string, expiresMs: number): Promise<void> {
    await this.db.query(
      'INSERT INTO console_sessions (id, account_id, data, expires_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, data = excluded.data, expires_ms = excluded.expires_ms',
      [id, accountId, data, expiresMs],
    );
  }

  async loadSession(id: string, nowMs: number): Promise<string | null> {
    const row = (await this.db.query<{ data: string }>('SELECT data FROM console_sessions WHERE id = $1 AND expires_ms > $2', [id, nowMs]))[0];
    return row?.data ?? null;
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.query('DELETE FROM console_sessions WHERE id = $1', [id]);
  }

  async deleteSessionsOf(accountId: string): Promise<void> {
    await this.db.query('DELETE FROM console_sessions WHERE account_id = $1', [accountId]);
  }

  async deleteExpiredSessions(nowMs: number): Promise<number> {
    return (await this.db.query('DELETE FROM console_sessions WHERE expires_ms <= $1 RETURNING id', [nowMs])).length;
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.db.query('INSERT INTO console_audit (at_ms, account_id, username, action, address, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      e.atMs, e.accountId, e.username, e.action, e.address, e.subject, JSON.stringify(e.detail),
    ]);
  }

  async auditOf(accountId: string, fromMs: number, toMs: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db.query<AuditRow>('SELECT * FROM console_audit WHERE account_id = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY id LIMIT $4', [accountId, fromMs, toMs, limit]);
    return rows.map(rowToAudit);
  }

  async rosterPeople(): Promise<RosterPerson[]> {
    const rows = await this.db.query<{ entity_id: string; data: string | null }>("SELECT entity_id, data FROM roster WHERE type = 'person' AND op = 'upsert'");
    return rows.map(rowToPerson).filter((p): p is RosterPerson => p !== null);
  }

  async firstArrivals(fromMs: number, toMs: number): Promise<Map<string, number>> {
    // received_ms bounds the scan to the partitions that can hold the day (an event is received after it happens).
    const rows = await this.db.query<{ person_id: string | null; first_ms: number }>(
      `SELECT body::jsonb ->> 'personId' AS person_id, MIN(true_ms) AS first_ms FROM events
       WHERE type = 'access.granted' AND true_ms >= $1 AND true_ms < $2 AND received_ms >= $3
         AND (body::jsonb ->> 'direction') IS DISTINCT FROM 'out'
       GROUP BY 1`,
      [fromMs, toMs, fromMs - 3_600_000],
    );
    return new Map(rows.filter((r) => typeof r.person_id === 'string').map((r) => [r.person_id as string, Number(r.first_ms)]));
  }

  async dailyFirstArrivals(fromMs: number, toMs: number, offsetMs: number): Promise<Array<{ personId: string; firstMs: number }>> {
    const rows = await this.db.query<{ person_id: string | null; first_ms: string | number }>(
      `SELECT body::jsonb ->> 'personId' AS person_id, MIN(true_ms) AS first_ms FROM events
       WHERE type = 'access.granted' AND true_ms >= $1 AND true_ms < $2 AND received_ms >= $3
         AND (body::jsonb ->> 'direction') IS DISTINCT FROM 'out'
       GROUP BY 1, (true_ms + $4) / 86400000`,
      [fromMs, toMs, fromMs - 3_600_000, offsetMs],
    );
    return rows.filter((r) => typeof r.person_id === 'string').map((r) => ({ personId: r.person_id as string, firstMs: Number(r.first_ms) }));
  }

  async dailyLastExits(fromMs: number, toMs: number, offsetMs: number): Promise<Array<{ personId: string; lastMs: number }>> {
    const rows = await this.db.query<{ person_id: string | null; last_ms: string | number }>(
      `SELECT body::jsonb ->> 'personId' AS person_id, MAX(true_ms) AS last_ms FROM events
       WHERE type = 'access.granted' AND true_ms >= $1 AND true_ms < $2 AND received_ms >= $3
         AND (body::jsonb ->> 'direction') = 'out'
       GROUP BY 1, (true_ms + $4) / 86400000`,
      [fromMs, toMs, fromMs - 3_600_000, offsetMs],
    );
    return rows.filter((r) => typeof r.person_id === 'string').map((r) => ({ personId: r.person_id as string, lastMs: Number(r.last_ms) }));
  }

  async deviceHealth(sinceMs: number): Promise<DeviceHealthRow[]> {
    const rows = await this.db.query<{ id: string; name: string | null; disabled: boolean; last_ms: number | null; recent: number }>(
      `SELECT d.id, d.name, d.disabled, (SELECT MAX(received_ms) FROM events e WHERE e.device_id = d.id) AS last_ms,
              (SELECT COUNT(*)::int FROM events e WHERE e.device_id = d.id AND e.received_ms >= $1) AS recent
       FROM devices d ORDER BY d.id`,
      [sinceMs],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, disabled: r.disabled, lastReceivedMs: r.last_ms === null ? null : Number(r.last_ms), eventsSince: Number(r.recent) }));
  }
}
