// PrivacyStore on the hub's PostgreSQL database. Its tables come from the hub's numbered migrations
// (hub/pg-schema.ts). Event bodies are text and a stored one need not be JSON, so the person's
// events are found by a text search and confirmed in this process, never by a cast that could throw.
//
// PostgreSQL keeps a deleted or updated row's old version in its heap until VACUUM, and in its WAL
// segments and base backups for as long as the server keeps them: erasing rows here is not erasure
// of the files. eraseHubCopies runs VACUUM on the roster, which frees its dead versions in the heap;
// WAL and backups are the database administrator's (docs/data-subject-requests.md).
import type { PgDb, PgQueryable } from '../pg-db.js';
import type { DeviceAck, RequestStatus, StoredRequest } from './model.js';
import {
  REQUEST_COLUMNS, eventIdOf, parseJsonObject, pseudonymiseEvent, requestParams, rowToRequest,
  CONSOLE_DETAILS_SQL, type ErasureCounts, type HeldAlarm, type HeldAudit, type HeldDetails, type HeldEvent, type HeldGuardian, type Holdings, type PrivacyStore, type RequestRow,
} from './store.js';

type EventDbRow = { hub_seq: string | number; device_id: string; received_ms: string | number; body: string };

async function personEvents(db: PgQueryable, personId: string, limit: number): Promise<HeldEvent[]> {
  const rows = await db.query<EventDbRow>('SELECT hub_seq, device_id, received_ms, body FROM events WHERE strpos(body, $1) > 0 ORDER BY hub_seq LIMIT $2', [personId, limit]);
  const out: HeldEvent[] = [];
  for (const row of rows) {
    const body = parseJsonObject(row.body);
    if (body?.personId === personId) out.push({ hubSeq: Number(row.hub_seq), deviceId: row.device_id, receivedMs: Number(row.received_ms), body });
  }
  return out;
}

async function hasTables(db: PgQueryable, names: readonly string[]): Promise<boolean> {
  const rows = await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1::text[])', [names]);
  return Number(rows[0]?.n ?? 0) === names.length;
}

async function hasNotifyTables(db: PgQueryable): Promise<boolean> {
  const rows = await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('notify_guardians', 'notify_outbox', 'notify_codes')");
  return Number(rows[0]?.n ?? 0) === 3;
}

export class PgPrivacyStore implements PrivacyStore {
  constructor(private readonly db: PgDb) {}

  /** The tables are the hub's migration (pg-schema.ts); nothing to do here. */
  migrate(): Promise<void> {
    return Promise.resolve();
  }

  async insertRequest(request: StoredRequest): Promise<void> {
    await this.db.query(`INSERT INTO privacy_requests (${REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, requestParams(request));
  }

  async request(id: string): Promise<StoredRequest | null> {
    const row = (await this.db.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_requests WHERE id = $1`, [id]))[0];
    return row ? rowToRequest(row) : null;
  }

  async listRequests(status: RequestStatus | null, limit: number): Promise<StoredRequest[]> {
    const rows = status === null
      ? await this.db.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_requests ORDER BY deadline, id LIMIT $1`, [limit])
      : await this.db.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_requests WHERE status = $1 ORDER BY deadline, id LIMIT $2`, [status, limit]);
    return rows.map(rowToRequest);
  }

  async updateRequest(r: StoredRequest): Promise<void> {
    await this.db.query('UPDATE privacy_requests SET status = $1, target_cursor = $2, executed_ms = $3, closed_ms = $4, record = $5 WHERE id = $6', [
      r.status, r.targetCursor, r.executedMs, r.closedMs, r.record === null ? null : JSON.stringify(r.record), r.id,
    ]);
  }

  async recordRosterAck(deviceId: string, cursor: number, atMs: number): Promise<void> {
    // One statement: the clamp to the roster's top (a device cannot have applied a cursor never
    // handed out) and the keep-the-highest upsert.
    await this.db.query(
      `INSERT INTO device_roster_acks (device_id, cursor, at_ms)
       SELECT $1, LEAST($2::bigint, GREATEST(COALESCE((SELECT MAX(cursor) FROM roster), 0), COALESCE((SELECT value::bigint FROM meta WHERE key = 'roster_horizon'), 0))), $3
       ON CONFLICT (device_id) DO UPDATE SET cursor = excluded.cursor, at_ms = excluded.at_ms WHERE excluded.cursor > device_roster_acks.cursor`,
      [deviceId, cursor, atMs],
    );
  }

  async rosterAcks(): Promise<DeviceAck[]> {
    const rows = await this.db.query<{ device_id: string; cursor: string; at_ms: string }>('SELECT device_id, cursor, at_ms FROM device_roster_acks ORDER BY device_id');
    return rows.map((row) => ({ deviceId: row.device_id, cursor: Number(row.cursor), atMs: Number(row.at_ms) }));
  }

  async holdings(personId: string, eventLimit: number): Promise<Holdings> {
    const roster = await this.db.query<{ cursor: string; type: string; entity_id: string; op: string; data: string | null }>(
      "SELECT cursor, type, entity_id, op, data FROM roster WHERE person_id = $1 OR (type = 'person' AND entity_id = $1) ORDER BY cursor",
      [personId],
    );
    const events = await personEvents(this.db, personId, eventLimit);
    const eventIds = events.map((e) => eventIdOf(e.body)).filter((id): id is string => id !== null);
    const alarms = await this.db.query<{ id: string; device_id: string; kind: string; at_ms: string; detail: string }>('SELECT id, device_id, kind, at_ms, detail FROM seq_alarms ORDER BY id DESC LIMIT 10000');
    return {
      roster: roster.map((r) => ({ cursor: Number(r.cursor), type: r.type, entityId: r.entity_id, op: r.op, data: parseJsonObject(r.data) })),
      events,
      alarms: alarms.filter((a) => eventIds.some((id) => a.detail.includes(id))).map((a): HeldAlarm => ({ id: Number(a.id), deviceId: a.device_id, kind: a.kind, atMs: Number(a.at_ms), detail: a.detail })),
      guardians: await this.guardians(personId),
      audit: await this.audit(personId),
      details: await this.consoleDetails(personId),
    };
  }

  private async consoleDetails(personId: string): Promise<HeldDetails | null> {
    if (!(await hasTables(this.db, ['console_people', 'console_guardians', 'console_guardian_links']))) return null;
    const person = (await this.db.query<Record<string, unknown>>(CONSOLE_DETAILS_SQL.person, [personId]))[0];
    const guardians = await this.db.query<{ id: string; name: string; phone: string }>(CONSOLE_DETAILS_SQL.guardians, [personId]);
    const consents = (await hasTables(this.db, ['console_consents'])) ? await this.db.query<Record<string, unknown>>(CONSOLE_DETAILS_SQL.consents, [personId]) : [];
    return { person: person ?? null, guardians, consents };
  }

  private async audit(personId: string): Promise<HeldAudit[]> {
    const exists = await this.db.query<{ n: string }>("SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'console_audit'");
    if (Number(exists[0]?.n ?? 0) !== 1) return [];
    const rows = await this.db.query<{ id: string; at_ms: string; username: string; action: string; subject: string }>(
      'SELECT id, at_ms, username, action, subject FROM console_audit WHERE strpos(subject, $1) > 0 ORDER BY id LIMIT 10000',
      [personId],
    );
    return rows.map((r) => ({ id: Number(r.id), atMs: Number(r.at_ms), username: r.username, action: r.action, subject: r.subject }));
  }

  private async guardians(personId: string): Promise<HeldGuardian[]> {
    if (!(await hasNotifyTables(this.db))) return [];
    const rows = await this.db.query<{ id: string; language: string; telegram_chat: string | null; webhook_url: string | null; created_ms: string; notices: string }>(
      'SELECT g.id, g.language, g.telegram_chat, g.webhook_url, g.created_ms, (SELECT COUNT(*) FROM notify_outbox o WHERE o.guardian_id = g.id) AS notices FROM notify_guardians g WHERE g.person_id = $1 ORDER BY g.id',
      [personId],
    );
    return rows.map((g) => ({ id: g.id, language: g.language, channels: [g.telegram_chat === null ? '' : 'telegram', g.webhook_url === null ? '' : 'webhook'].filter(Boolean), createdMs: Number(g.created_ms), notices: Number(g.notices) }));
  }

  async eraseHubCopies(personId: string, pseudonym: string): Promise<ErasureCounts> {
    const counts = await this.db.transaction(async (tx) => {
      let eventsPseudonymised = 0;
      for (;;) {
        const page = await personEvents(tx, personId, 1000);
        for (const event of page) await tx.query('UPDATE events SET body = $1 WHERE hub_seq = $2', [JSON.stringify(pseudonymiseEvent(event.body, pseudonym)), event.hubSeq]);
        eventsPseudonymised += page.length;
        if (page.length === 0) break;
      }
      let notifyRowsDeleted = 0;
      if (await hasNotifyTables(tx)) {
        const guardians = 'SELECT id FROM notify_guardians WHERE person_id = $1';
        notifyRowsDeleted += (await tx.query(`DELETE FROM notify_outbox WHERE guardian_id IN (${guardians}) RETURNING key`, [personId])).length;
        notifyRowsDeleted += (await tx.query(`DELETE FROM notify_codes WHERE guardian_id IN (${guardians}) RETURNING hash`, [personId])).length;
        notifyRowsDeleted += (await tx.query('DELETE FROM notify_guardians WHERE person_id = $1 RETURNING id', [personId])).length;
      }
      if (await hasTables(tx, ['notify_withdrawals'])) {
        notifyRowsDeleted += (await tx.query('DELETE FROM notify_withdrawals WHERE person_id = $1 RETURNING person_id', [personId])).length;
      }
      let consoleRowsDeleted = 0;
      if (await hasTables(tx, ['console_people', 'console_guardians', 'console_guardian_links'])) {
        // The child's ИИН and name parts, its guardian links, and the guardians (phones) left with no other child.
        consoleRowsDeleted += (await tx.query(
          'DELETE FROM console_guardians WHERE id IN (SELECT guardian_id FROM console_guardian_links WHERE child_id = $1) AND id NOT IN (SELECT guardian_id FROM console_guardian_links WHERE child_id <> $1) RETURNING id',
          [personId],
        )).length;
        consoleRowsDeleted += (await tx.query('DELETE FROM console_guardian_links WHERE child_id = $1 OR guardian_id = $1 RETURNING child_id', [personId])).length;
        consoleRowsDeleted += (await tx.query('DELETE FROM console_people WHERE person_id = $1 RETURNING person_id', [personId])).length;
      }
      if (await hasTables(tx, ['console_consents'])) consoleRowsDeleted += (await tx.query(`${CONSOLE_DETAILS_SQL.eraseConsents} RETURNING id`, [personId])).length;
      return { eventsPseudonymised, notifyRowsDeleted, consoleRowsDeleted };
    });
    // Outside the transaction (VACUUM cannot run in one): frees the roster's dead row versions now.
    // Not the events table: a district's is large and partitioned, a full VACUUM per request would
    // cost every partition's I/O; autovacuum frees the old bodies there.
    await this.db.query('VACUUM roster');
    return counts;
  }
}
