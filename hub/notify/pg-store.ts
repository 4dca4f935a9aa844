// NotifyStore on PostgreSQL, where several hub processes share the outbox: a claim takes rows with
// FOR UPDATE SKIP LOCKED inside one UPDATE, so two processes never hold the same row; the cursor
// moves only from the value a planner read (compare-and-set), so a page planned twice by two
// processes writes its rows once (keys are unique) and moves the cursor once. The tables are
// created by the hub's numbered migrations (hub/pg-schema.ts), which the hub storage applies.
import { PgDb, type PgLogger, type PgQueryable } from '../pg-db.js';
import {
  FEED_CURSOR_MOVE, FEED_CURSOR_READ, toGuardian, toOutboxRow, toPageLink, toPassage, type ClaimedRow, type GuardianDbRow, type GuardianRecord, type Language, type NewOutboxRow,
  type NotifyStore, type OutboxDbRow, type OutboxRow, type OutboxState, type PageLink, type PageLinkDbRow, type PassageDbRow, type PassageRow,
  type Presence, type QuietHours,
} from './model.js';

const GUARDIAN_COLUMNS = 'id, person_id, language, telegram_chat, webhook_url, webhook_secret, created_ms, unlinked_ms, quiet_start, quiet_end';
const OUTBOX_COLUMNS = 'key, guardian_id, channel, payload, state, attempts, due_ms, last_error, sent_ms';

async function insertRows(tx: PgQueryable, rows: readonly NewOutboxRow[], nowMs: number): Promise<void> {
  for (const row of rows) {
    await tx.query(
      `INSERT INTO notify_outbox (key, event_id, guardian_id, channel, payload, state, due_ms, created_ms)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (key) DO NOTHING`,
      [row.key, row.payload.eventId, row.guardianId, row.channel, JSON.stringify(row.payload), nowMs]);
  }
}

export class PgNotifyStore implements NotifyStore {
  private constructor(private readonly db: PgDb) {}

  /** Opens its own small pool; the hub storage on the same URL must have migrated the schema. */
  static open(url: string, logger: PgLogger, maxConnections = 3): PgNotifyStore {
    return new PgNotifyStore(PgDb.open(url, logger, maxConnections, 'esik-hub-notify'));
  }

  async migrate(): Promise<void> {
    const rows = await this.db.query<{ t: string | null }>("SELECT to_regclass('notify_outbox')::text AS t");
    if (!rows[0]?.t) throw new Error('the notifier tables are missing: open the hub storage (it applies the migrations) first');
    const links = await this.db.query<{ t: string | null }>("SELECT to_regclass('notify_page_links')::text AS t");
    if (!links[0]?.t) throw new Error('the parents\' page tables are missing: open the hub storage (migration 10) first');
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async addGuardian(g: { id: string; personId: string; language: Language; createdMs: number }): Promise<void> {
    await this.db.query('INSERT INTO notify_guardians (id, person_id, language, created_ms) VALUES ($1, $2, $3, $4)', [g.id, g.personId, g.language, g.createdMs]);
  }

  async guardian(id: string): Promise<GuardianRecord | null> {
    const row = (await this.db.query<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE id = $1`, [id]))[0];
    return row ? toGuardian(row) : null;
  }

  async guardiansOf(personId: string): Promise<GuardianRecord[]> {
    return (await this.db.query<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE person_id = $1 ORDER BY created_ms, id`, [personId])).map(toGuardian);
  }

  async activeGuardians(personIds: readonly string[]): Promise<GuardianRecord[]> {
    if (personIds.length === 0) return [];
    const rows = await this.db.query<GuardianDbRow>(
      `SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE person_id = ANY($1) AND unlinked_ms IS NULL
       AND (telegram_chat IS NOT NULL OR webhook_url IS NOT NULL) ORDER BY id`, [personIds]);
    return rows.map(toGuardian);
  }

  async guardiansOfChat(chat: string): Promise<GuardianRecord[]> {
    return (await this.db.query<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE telegram_chat = $1 AND unlinked_ms IS NULL ORDER BY created_ms, id`, [chat])).map(toGuardian);
  }

  async allActiveGuardians(): Promise<GuardianRecord[]> {
    const rows = await this.db.query<GuardianDbRow>(
      `SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE unlinked_ms IS NULL AND (telegram_chat IS NOT NULL OR webhook_url IS NOT NULL) ORDER BY person_id, id`);
    return rows.map(toGuardian);
  }

  async addCode(hash: string, guardianId: string, expiresMs: number): Promise<void> {
    await this.db.query('INSERT INTO notify_codes (hash, guardian_id, expires_ms) VALUES ($1, $2, $3)', [hash, guardianId, expiresMs]);
  }

  redeemCode(hash: string, chat: string, nowMs: number): Promise<GuardianRecord | null> {
    return this.db.transaction(async (tx) => {
      // The row lock makes two chats racing with one code take turns; the second finds it used.
      const code = (await tx.query<{ guardian_id: string }>(
        `SELECT c.guardian_id FROM notify_codes c JOIN notify_guardians g ON g.id = c.guardian_id
         WHERE c.hash = $1 AND c.used_ms IS NULL AND c.expires_ms > $2 AND g.unlinked_ms IS NULL FOR UPDATE OF c`, [hash, nowMs]))[0];
      if (!code) return null;
      await tx.query('UPDATE notify_codes SET used_ms = $1 WHERE hash = $2', [nowMs, hash]);
      const rows = await tx.query<GuardianDbRow>(`UPDATE notify_guardians SET telegram_chat = $1 WHERE id = $2 RETURNING ${GUARDIAN_COLUMNS}`, [chat, code.guardian_id]);
      return rows[0] ? toGuardian(rows[0]) : null;
    });
  }

  async stopChat(chat: string): Promise<number> {
    return (await this.db.query<{ id: string }>('UPDATE notify_guardians SET telegram_chat = NULL WHERE telegram_chat = $1 RETURNING id', [chat])).length;
  }

  async unlinkGuardian(id: string, nowMs: number): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>('UPDATE notify_guardians SET unlinked_ms = $1, telegram_chat = NULL WHERE id = $2 AND unlinked_ms IS NULL RETURNING id', [nowMs, id]);
    return rows.length > 0;
  }

  async setWebhook(id: string, url: string | null, secret: string | null): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>('UPDATE notify_guardians SET webhook_url = $1, webhook_secret = $2 WHERE id = $3 AND unlinked_ms IS NULL RETURNING id', [url, secret, id]);
    return rows.length > 0;
  }

  async cursor(): Promise<number> {
    const rows = await this.db.query<{ hub_seq: number }>("SELECT hub_seq FROM notify_cursor WHERE name = 'events'");
    return rows[0]?.hub_seq ?? 0;
  }

  plan(from: number, to: number, rows: readonly NewOutboxRow[], presence: readonly Presence[], nowMs: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const moved = await tx.query<{ hub_seq: number }>("UPDATE notify_cursor SET hub_seq = $1 WHERE name = 'events' AND hub_seq = $2 RETURNING hub_seq", [to, from]);
      if (moved.length === 0) return false;
      for (const p of presence) {
        await tx.query('INSERT INTO notify_presence (person_id, day, first_in_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [p.personId, p.day, p.atMs]);
      }
      await insertRows(tx, rows, nowMs);
      return true;
    });
  }

  addRows(rows: readonly NewOutboxRow[], nowMs: number): Promise<void> {
    return this.db.transaction((tx) => insertRows(tx, rows, nowMs));
  }

  async feedCursor(name: string): Promise<number> {
    const rows = await this.db.query<{ hub_seq: number }>(FEED_CURSOR_READ, [name]);
    return Number(rows[0]?.hub_seq ?? 0);
  }

  planFeed(name: string, from: number, to: number, rows: readonly NewOutboxRow[], nowMs: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const moved = await tx.query<{ hub_seq: number }>(FEED_CURSOR_MOVE, [name, from, to]);
      if (moved.length === 0) return false;
      await insertRows(tx, rows, nowMs);
      return true;
    });
  }

  async present(pairs: ReadonlyArray<{ personId: string; day: string }>): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const rows = await this.db.query<{ person_id: string; day: string }>(
      'SELECT person_id, day FROM notify_presence WHERE (person_id, day) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [pairs.map((p) => p.personId), pairs.map((p) => p.day)]);
    return new Set(rows.map((r) => `${r.person_id}|${r.day}`));
  }

  async claim(nowMs: number, leaseMs: number, limit: number): Promise<ClaimedRow[]> {
    const rows = await this.db.query<OutboxDbRow & { was: string }>(
      `UPDATE notify_outbox o SET state = 'claimed', lease_ms = $2, attempts = o.attempts + 1
       FROM (SELECT key, state AS was FROM notify_outbox
             WHERE (state = 'pending' AND due_ms <= $1) OR (state IN ('claimed', 'sending') AND lease_ms <= $1)
             ORDER BY due_ms, key LIMIT $3 FOR UPDATE SKIP LOCKED) s
       WHERE o.key = s.key
       RETURNING o.key, o.guardian_id, o.channel, o.payload, o.state, o.attempts, o.due_ms, o.last_error, o.sent_ms, s.was`,
      [nowMs, nowMs + leaseMs, limit]);
    return rows.map((row) => ({ ...toOutboxRow(row), wasSending: row.was === 'sending' }));
  }

  async markSending(key: string): Promise<void> {
    await this.db.query("UPDATE notify_outbox SET state = 'sending' WHERE key = $1", [key]);
  }

  async markSent(key: string, nowMs: number): Promise<void> {
    await this.db.query("UPDATE notify_outbox SET state = 'sent', sent_ms = $1, lease_ms = NULL, last_error = NULL WHERE key = $2", [nowMs, key]);
  }

  async markRetry(key: string, dueMs: number, error: string): Promise<void> {
    await this.db.query("UPDATE notify_outbox SET state = 'pending', due_ms = $1, lease_ms = NULL, last_error = $2 WHERE key = $3", [dueMs, error, key]);
  }

  async markFinal(key: string, state: 'failed' | 'in_doubt' | 'cancelled', error: string): Promise<void> {
    await this.db.query('UPDATE notify_outbox SET state = $1, lease_ms = NULL, last_error = $2 WHERE key = $3', [state, error, key]);
  }

  async requeue(key: string, nowMs: number): Promise<boolean> {
    const rows = await this.db.query<{ key: string }>("UPDATE notify_outbox SET state = 'pending', due_ms = $1, attempts = 0 WHERE key = $2 AND state IN ('failed', 'in_doubt') RETURNING key", [nowMs, key]);
    return rows.length > 0;
  }

  async hold(key: string, dueMs: number): Promise<void> {
    await this.db.query("UPDATE notify_outbox SET state = 'pending', due_ms = $1, lease_ms = NULL, attempts = GREATEST(attempts - 1, 0) WHERE key = $2", [dueMs, key]);
  }

  async setQuietHours(id: string, quiet: QuietHours | null): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>('UPDATE notify_guardians SET quiet_start = $1, quiet_end = $2 WHERE id = $3 AND unlinked_ms IS NULL RETURNING id',
      [quiet?.start ?? null, quiet?.end ?? null, id]);
    return rows.length > 0;
  }

  async addPageLink(link: PageLink): Promise<void> {
    await this.db.query('INSERT INTO notify_page_links (hash, guardian_ids, form_token, expires_ms, created_ms) VALUES ($1, $2, $3, $4, $5)',
      [link.hash, link.guardianIds.join(','), link.formToken, link.expiresMs, link.createdMs]);
  }

  async pageLink(hash: string): Promise<PageLink | null> {
    const row = (await this.db.query<PageLinkDbRow>('SELECT hash, guardian_ids, form_token, expires_ms, created_ms FROM notify_page_links WHERE hash = $1', [hash]))[0];
    return row ? toPageLink(row) : null;
  }

  async withdrawNotices(personId: string, guardianId: string, nowMs: number): Promise<void> {
    await this.db.query("INSERT INTO notify_withdrawals (person_id, purpose, guardian_id, withdrawn_ms) VALUES ($1, 'notices', $2, $3) ON CONFLICT DO NOTHING", [personId, guardianId, nowMs]);
  }

  async noticesWithdrawn(personIds: readonly string[]): Promise<Set<string>> {
    if (personIds.length === 0) return new Set();
    const rows = await this.db.query<{ person_id: string }>("SELECT person_id FROM notify_withdrawals WHERE purpose = 'notices' AND person_id = ANY($1)", [personIds]);
    return new Set(rows.map((r) => r.person_id));
  }

  async passages(personIds: readonly string[], fromMs: number, toMs: number): Promise<PassageRow[]> {
    if (personIds.length === 0) return [];
    // received_ms bounds the scan to the partitions that can hold the window (an event is received after it happens).
    const rows = await this.db.query<PassageDbRow>(
      `SELECT body::jsonb ->> 'personId' AS person_id, true_ms AS at_ms, body::jsonb ->> 'door' AS door, body::jsonb ->> 'direction' AS direction
       FROM events WHERE type = 'access.granted' AND true_ms >= $1 AND true_ms < $2 AND received_ms >= $3
       AND body::jsonb ->> 'personId' = ANY($4) AND body::jsonb ->> 'direction' IN ('in', 'out')
       ORDER BY true_ms, hub_seq`, [fromMs, toMs, fromMs - 3_600_000, personIds]);
    return rows.map(toPassage);
  }

  async outbox(state?: OutboxState): Promise<OutboxRow[]> {
    const rows = state === undefined
      ? await this.db.query<OutboxDbRow>(`SELECT ${OUTBOX_COLUMNS} FROM notify_outbox ORDER BY created_ms, key`)
      : await this.db.query<OutboxDbRow>(`SELECT ${OUTBOX_COLUMNS} FROM notify_outbox WHERE state = $1 ORDER BY created_ms, key`, [state]);
    return rows.map(toOutboxRow);
  }
}

