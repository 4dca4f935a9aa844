// PrivacyStore on the hub's SQLite connection (the same HubDb as the roster, so a request's writes
// queue behind roster transactions and read only committed rows).
import type { HubDb } from '../db.js';
import type { DeviceAck, RequestStatus, StoredRequest } from './model.js';
import {
  REQUEST_COLUMNS, eventIdOf, parseJsonObject, pseudonymiseEvent, requestParams, rowToRequest,
  CONSOLE_DETAILS_SQL, type ErasureCounts, type HeldAlarm, type HeldAudit, type HeldDetails, type HeldGuardian, type HeldRosterRow, type Holdings, type PrivacyStore, type RequestRow,
} from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS privacy_requests (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, person_id TEXT NOT NULL, requester TEXT NOT NULL, channel TEXT NOT NULL,
  received_on TEXT NOT NULL, note TEXT NOT NULL, deadline TEXT NOT NULL, status TEXT NOT NULL, created_ms INTEGER NOT NULL,
  target_cursor INTEGER, executed_ms INTEGER, closed_ms INTEGER, record TEXT);
CREATE INDEX IF NOT EXISTS privacy_requests_status ON privacy_requests (status, deadline);
CREATE TABLE IF NOT EXISTS device_roster_acks (device_id TEXT PRIMARY KEY, cursor INTEGER NOT NULL, at_ms INTEGER NOT NULL);
`;

/** Roster top: the highest cursor handed out, also when compaction dropped the row that held it. */
const ROSTER_TOP = `SELECT MAX(COALESCE((SELECT MAX(cursor) FROM roster), 0), COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'roster_horizon'), 0)) AS top`;

/** Events whose body names the person (a body that is not JSON is passed over, never an error). */
const PERSON_EVENTS = `SELECT hub_seq, device_id, received_ms, body FROM events
  WHERE instr(body, ?1) > 0 AND (CASE WHEN json_valid(body) THEN json_extract(body, '$.personId') END) = ?1 ORDER BY hub_seq LIMIT ?2`;

export class SqlitePrivacyStore implements PrivacyStore {
  constructor(private readonly db: HubDb) {}

  async migrate(): Promise<void> {
    await this.db.exec(SCHEMA);
  }

  async insertRequest(request: StoredRequest): Promise<void> {
    await this.db.run(`INSERT INTO privacy_requests (${REQUEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, requestParams(request));
  }

  async request(id: string): Promise<StoredRequest | null> {
    const row = await this.db.get<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_requests WHERE id = ?`, [id]);
    return row ? rowToRequest(row) : null;
  }

  async listRequests(status: RequestStatus | null, limit: number): Promise<StoredRequest[]> {
    const rows = status === null
      ? await this.db.all<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_requests ORDER BY deadline, id LIMIT ?`, [limit])
      : await this.db.all<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_requests WHERE status = ? ORDER BY deadline, id LIMIT ?`, [status, limit]);
    return rows.map(rowToRequest);
  }

  async updateRequest(r: StoredRequest): Promise<void> {
    await this.db.run('UPDATE privacy_requests SET status = ?, target_cursor = ?, executed_ms = ?, closed_ms = ?, record = ? WHERE id = ?', [
      r.status, r.targetCursor, r.executedMs, r.closedMs, r.record === null ? null : JSON.stringify(r.record), r.id,
    ]);
  }

  recordRosterAck(deviceId: string, cursor: number, atMs: number): Promise<void> {
    return this.db.transaction(async () => {
      const top = (await this.db.get<{ top: number }>(ROSTER_TOP))?.top ?? 0;
      // A device cannot have applied a cursor the hub never handed out.
      const acked = Math.min(cursor, top);
      await this.db.run(
        'INSERT INTO device_roster_acks (device_id, cursor, at_ms) VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET cursor = excluded.cursor, at_ms = excluded.at_ms WHERE excluded.cursor > device_roster_acks.cursor',
        [deviceId, acked, atMs],
      );
    });
  }

  async rosterAcks(): Promise<DeviceAck[]> {
    const rows = await this.db.all<{ device_id: string; cursor: number; at_ms: number }>('SELECT device_id, cursor, at_ms FROM device_roster_acks ORDER BY device_id');
    return rows.map((row) => ({ deviceId: row.device_id, cursor: row.cursor, atMs: row.at_ms }));
  }

  holdings(personId: string, eventLimit: number): Promise<Holdings> {
    return this.db.committed(async () => {
      const roster = await this.db.all<{ cursor: number; type: string; entity_id: string; op: string; data: string | null }>(
        "SELECT cursor, type, entity_id, op, data FROM roster WHERE person_id = ? OR (type = 'person' AND entity_id = ?) ORDER BY cursor",
        [personId, personId],
      );
      const events = await this.db.all<{ hub_seq: number; device_id: string; received_ms: number; body: string }>(PERSON_EVENTS, [personId, eventLimit]);
      const eventIds = events.map((e) => eventIdOf(parseJsonObject(e.body))).filter((id): id is string => id !== null);
      const alarms = await this.db.all<{ id: number; device_id: string; kind: string; at_ms: number; detail: string }>('SELECT id, device_id, kind, at_ms, detail FROM seq_alarms ORDER BY id DESC LIMIT 10000');
      return {
        roster: roster.map((r): HeldRosterRow => ({ cursor: r.cursor, type: r.type, entityId: r.entity_id, op: r.op, data: parseJsonObject(r.data) })),
        events: events.map((e) => ({ hubSeq: e.hub_seq, deviceId: e.device_id, receivedMs: e.received_ms, body: parseJsonObject(e.body) ?? {} })),
        alarms: alarms
          .filter((a) => eventIds.some((id) => a.detail.includes(id)))
          .map((a): HeldAlarm => ({ id: a.id, deviceId: a.device_id, kind: a.kind, atMs: a.at_ms, detail: a.detail })),
        guardians: await this.guardians(personId),
        audit: await this.audit(personId),
        details: await this.consoleDetails(personId),
      };
    });
  }

  private async consoleDetails(personId: string): Promise<HeldDetails | null> {
    if (!(await this.hasConsolePeopleTables())) return null;
    // SQLite reads $1 as a parameter too: the shared statements bind the person id positionally.
    const person = await this.db.get<Record<string, unknown>>(CONSOLE_DETAILS_SQL.person, [personId]);
    const guardians = await this.db.all<{ id: string; name: string; phone: string }>(CONSOLE_DETAILS_SQL.guardians, [personId]);
    const consents = (await this.hasTables(['console_consents'])) ? await this.db.all<Record<string, unknown>>(CONSOLE_DETAILS_SQL.consents, [personId]) : [];
    return { person: person ?? null, guardians, consents };
  }

  private async audit(personId: string): Promise<HeldAudit[]> {
    const exists = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'console_audit'");
    if (exists?.n !== 1) return [];
    const rows = await this.db.all<{ id: number; at_ms: number; username: string; action: string; subject: string }>(
      'SELECT id, at_ms, username, action, subject FROM console_audit WHERE instr(subject, ?) > 0 ORDER BY id LIMIT 10000',
      [personId],
    );
    return rows.map((r) => ({ id: r.id, atMs: r.at_ms, username: r.username, action: r.action, subject: r.subject }));
  }

  private async hasTables(names: readonly string[]): Promise<boolean> {
    const row = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')})`, names);
    return row?.n === names.length;
  }

  /** The parents' page (hub/notify): the consents withdrawn there (its links die with the guardians' rows). */
  private hasNotifyPageTables(): Promise<boolean> {
    return this.hasTables(['notify_withdrawals']);
  }

  /** The console's people details (hub/console/people-store.ts): ИИН, name parts, guardians' phones. */
  private hasConsolePeopleTables(): Promise<boolean> {
    return this.hasTables(['console_people', 'console_guardians', 'console_guardian_links']);
  }

  private async hasNotifyTables(): Promise<boolean> {
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('notify_guardians', 'notify_outbox', 'notify_codes')");
    return row?.n === 3;
  }

  private async guardians(personId: string): Promise<HeldGuardian[]> {
    if (!(await this.hasNotifyTables())) return [];
    const rows = await this.db.all<{ id: string; language: string; telegram_chat: string | null; webhook_url: string | null; created_ms: number; notices: number }>(
      'SELECT g.id, g.language, g.telegram_chat, g.webhook_url, g.created_ms, (SELECT COUNT(*) FROM notify_outbox o WHERE o.guardian_id = g.id) AS notices FROM notify_guardians g WHERE g.person_id = ? ORDER BY g.id',
      [personId],
    );
    return rows.map((g) => ({ id: g.id, language: g.language, channels: [g.telegram_chat === null ? '' : 'telegram', g.webhook_url === null ? '' : 'webhook'].filter(Boolean), createdMs: g.created_ms, notices: g.notices }));
  }

  async eraseHubCopies(personId: string, pseudonym: string): Promise<ErasureCounts> {
    const counts = await this.db.transaction(async () => {
      let eventsPseudonymised = 0;
      for (;;) {
        const page = await this.db.all<{ hub_seq: number; body: string }>(PERSON_EVENTS, [personId, 1000]);
        for (const row of page) {
          const body = parseJsonObject(row.body) ?? {};
          await this.db.run('UPDATE events SET body = ? WHERE hub_seq = ?', [JSON.stringify(pseudonymiseEvent(body, pseudonym)), row.hub_seq]);
        }
        eventsPseudonymised += page.length;
        if (page.length < 1000) break;
      }
      let notifyRowsDeleted = 0;
      if (await this.hasNotifyTables()) {
        const guardians = "SELECT id FROM notify_guardians WHERE person_id = ?";
        notifyRowsDeleted += (await this.db.run(`DELETE FROM notify_outbox WHERE guardian_id IN (${guardians})`, [personId])).changes;
        notifyRowsDeleted += (await this.db.run(`DELETE FROM notify_codes WHERE guardian_id IN (${guardians})`, [personId])).changes;
        notifyRowsDeleted += (await this.db.run('DELETE FROM notify_guardians WHERE person_id = ?', [personId])).changes;
      }
      if (await this.hasNotifyPageTables()) {
        notifyRowsDeleted += (await this.db.run('DELETE FROM notify_withdrawals WHERE person_id = ?', [personId])).changes;
      }
      let consoleRowsDeleted = 0;
      if (await this.hasConsolePeopleTables()) {
        // The child's ИИН and name parts, its guardian links, and the guardians (phones) left with no other child.
        consoleRowsDeleted += (await this.db.run(
          'DELETE FROM console_guardians WHERE id IN (SELECT guardian_id FROM console_guardian_links WHERE child_id = ?) AND id NOT IN (SELECT guardian_id FROM console_guardian_links WHERE child_id <> ?)',
          [personId, personId],
        )).changes;
        consoleRowsDeleted += (await this.db.run('DELETE FROM console_guardian_links WHERE child_id = ? OR guardian_id = ?', [personId, personId])).changes;
        consoleRowsDeleted += (await this.db.run('DELETE FROM console_people WHERE person_id = ?', [personId])).changes;
      }
      if (await this.hasTables(['console_consents'])) consoleRowsDeleted += (await this.db.run(CONSOLE_DETAILS_SQL.eraseConsents, [personId])).changes;
      return { eventsPseudonymised, notifyRowsDeleted, consoleRowsDeleted };
    });
    // secure_delete (lib/sqlite.ts) zeroed the old cells in the database pages; the WAL still holds
    // the pages as they were until it is copied back and truncated.
    return { ...counts, walTruncated: await this.truncateWal() };
  }

  /**
   * A TRUNCATE checkpoint that reports whether it happened: SQLite answers busy, without an error,
   * while another connection (the notifier's) reads an older snapshot. Retried for a few seconds.
   */
  private async truncateWal(): Promise<boolean> {
    for (let attempt = 0; attempt < 30; attempt++) {
      const row = await this.db.committed(() => this.db.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)'));
      if (row?.busy === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }
}
