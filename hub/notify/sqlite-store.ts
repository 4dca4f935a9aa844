// NotifyStore on SQLite: its own connection to the hub's database file (WAL; busy_timeout waits for
// the hub's writers), its own tables beside the hub's. One school, one hub process: a claim needs no
// row locks, the connection's transaction queue serialises it.
import { HubDb } from '../db.js';
import {
  FEED_CURSOR_MOVE, FEED_CURSOR_READ, toGuardian, toOutboxRow, toPageLink, toPassage, type ClaimedRow, type GuardianDbRow, type GuardianRecord, type Language, type NewOutboxRow,
  type NotifyStore, type OutboxDbRow, type OutboxRow, type OutboxState, type PageLink, type PageLinkDbRow, type PassageDbRow, type PassageRow,
  type Presence, type QuietHours,
} from './model.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notify_guardians (
  id TEXT PRIMARY KEY, person_id TEXT NOT NULL, language TEXT NOT NULL, telegram_chat TEXT,
  webhook_url TEXT, webhook_secret TEXT, created_ms INTEGER NOT NULL, unlinked_ms INTEGER);
CREATE INDEX IF NOT EXISTS notify_guardians_person ON notify_guardians (person_id);
CREATE INDEX IF NOT EXISTS notify_guardians_chat ON notify_guardians (telegram_chat);
CREATE TABLE IF NOT EXISTS notify_codes (
  hash TEXT PRIMARY KEY, guardian_id TEXT NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER);
CREATE TABLE IF NOT EXISTS notify_cursor (name TEXT PRIMARY KEY, hub_seq INTEGER NOT NULL);
INSERT OR IGNORE INTO notify_cursor (name, hub_seq) VALUES ('events', 0);
CREATE TABLE IF NOT EXISTS notify_outbox (
  key TEXT PRIMARY KEY, event_id TEXT NOT NULL, guardian_id TEXT NOT NULL, channel TEXT NOT NULL, payload TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, due_ms INTEGER NOT NULL, lease_ms INTEGER,
  last_error TEXT, created_ms INTEGER NOT NULL, sent_ms INTEGER);
CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox (state, due_ms);
CREATE TABLE IF NOT EXISTS notify_presence (person_id TEXT NOT NULL, day TEXT NOT NULL, first_in_ms INTEGER NOT NULL, PRIMARY KEY (person_id, day));
CREATE TABLE IF NOT EXISTS notify_page_links (
  hash TEXT PRIMARY KEY, guardian_ids TEXT NOT NULL, form_token TEXT NOT NULL, expires_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notify_withdrawals (
  person_id TEXT NOT NULL, purpose TEXT NOT NULL, guardian_id TEXT NOT NULL, withdrawn_ms INTEGER NOT NULL, PRIMARY KEY (person_id, purpose));
`;

/** Columns added after the first release: SQLite has no ADD COLUMN IF NOT EXISTS. */
const ADDED_GUARDIAN_COLUMNS = ['quiet_start', 'quiet_end'];

const GUARDIAN_COLUMNS = 'id, person_id, language, telegram_chat, webhook_url, webhook_secret, created_ms, unlinked_ms, quiet_start, quiet_end';
const OUTBOX_COLUMNS = 'key, guardian_id, channel, payload, state, attempts, due_ms, last_error, sent_ms';

/** The shared $n statements in SQLite's numbered form (?n). */
const numbered = (sql: string): string => sql.replace(/\$(\d+)/g, '?$1');

export class SqliteNotifyStore implements NotifyStore {
  private constructor(private readonly db: HubDb) {}

  static async open(file: string): Promise<SqliteNotifyStore> {
    const store = new SqliteNotifyStore(await HubDb.open(file));
    await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    await this.db.exec(SCHEMA);
    const columns = new Set((await this.db.all<{ name: string }>('PRAGMA table_info(notify_guardians)')).map((c) => c.name));
    for (const column of ADDED_GUARDIAN_COLUMNS) {
      if (!columns.has(column)) await this.db.exec(`ALTER TABLE notify_guardians ADD COLUMN ${column} TEXT`);
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async addGuardian(g: { id: string; personId: string; language: Language; createdMs: number }): Promise<void> {
    await this.db.run('INSERT INTO notify_guardians (id, person_id, language, created_ms) VALUES (?, ?, ?, ?)', [g.id, g.personId, g.language, g.createdMs]);
  }

  async guardian(id: string): Promise<GuardianRecord | null> {
    const row = await this.db.get<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE id = ?`, [id]);
    return row ? toGuardian(row) : null;
  }

  async guardiansOf(personId: string): Promise<GuardianRecord[]> {
    return (await this.db.all<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE person_id = ? ORDER BY created_ms, id`, [personId])).map(toGuardian);
  }

  async activeGuardians(personIds: readonly string[]): Promise<GuardianRecord[]> {
    if (personIds.length === 0) return [];
    const marks = personIds.map(() => '?').join(', ');
    const rows = await this.db.all<GuardianDbRow>(
      `SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE person_id IN (${marks}) AND unlinked_ms IS NULL
       AND (telegram_chat IS NOT NULL OR webhook_url IS NOT NULL) ORDER BY id`, [...personIds]);
    return rows.map(toGuardian);
  }

  async guardiansOfChat(chat: string): Promise<GuardianRecord[]> {
    return (await this.db.all<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE telegram_chat = ? AND unlinked_ms IS NULL ORDER BY created_ms, id`, [chat])).map(toGuardian);
  }

  async allActiveGuardians(): Promise<GuardianRecord[]> {
    const rows = await this.db.all<GuardianDbRow>(
      `SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE unlinked_ms IS NULL AND (telegram_chat IS NOT NULL OR webhook_url IS NOT NULL) ORDER BY person_id, id`);
    return rows.map(toGuardian);
  }

  async addCode(hash: string, guardianId: string, expiresMs: number): Promise<void> {
    await this.db.run('INSERT INTO notify_codes (hash, guardian_id, expires_ms) VALUES (?, ?, ?)', [hash, guardianId, expiresMs]);
  }

  redeemCode(hash: string, chat: string, nowMs: number): Promise<GuardianRecord | null> {
    return this.db.transaction(async () => {
      const code = await this.db.get<{ guardian_id: string }>(
        `SELECT c.guardian_id FROM notify_codes c JOIN notify_guardians g ON g.id = c.guardian_id
         WHERE c.hash = ? AND c.used_ms IS NULL AND c.expires_ms > ? AND g.unlinked_ms IS NULL`, [hash, nowMs]);
      if (!code) return null;
      await this.db.run('UPDATE notify_codes SET used_ms = ? WHERE hash = ?', [nowMs, hash]);
      await this.db.run('UPDATE notify_guardians SET telegram_chat = ? WHERE id = ?', [chat, code.guardian_id]);
      const row = await this.db.get<GuardianDbRow>(`SELECT ${GUARDIAN_COLUMNS} FROM notify_guardians WHERE id = ?`, [code.guardian_id]);
      return row ? toGuardian(row) : null;
    });
  }

  async stopChat(chat: string): Promise<number> {
    return (await this.db.run('UPDATE notify_guardians SET telegram_chat = NULL WHERE telegram_chat = ?', [chat])).changes;
  }

  async unlinkGuardian(id: string, nowMs: number): Promise<boolean> {
    const result = await this.db.run('UPDATE notify_guardians SET unlinked_ms = ?, telegram_chat = NULL WHERE id = ? AND unlinked_ms IS NULL', [nowMs, id]);
    return result.changes > 0;
  }

  async setWebhook(id: string, url: string | null, secret: string | null): Promise<boolean> {
    return (await this.db.run('UPDATE notify_guardians SET webhook_url = ?, webhook_secret = ? WHERE id = ? AND unlinked_ms IS NULL', [url, secret, id])).changes > 0;
  }

  async cursor(): Promise<number> {
    const row = await this.db.committed(() => this.db.get<{ hub_seq: number }>("SELECT hub_seq FROM notify_cursor WHERE name = 'events'"));
    return row?.hub_seq ?? 0;
  }

  plan(from: number, to: number, rows: readonly NewOutboxRow[], presence: readonly Presence[], nowMs: number): Promise<boolean> {
    return this.db.transaction(async () => {
      const moved = await this.db.run("UPDATE notify_cursor SET hub_seq = ? WHERE name = 'events' AND hub_seq = ?", [to, from]);
      if (moved.changes === 0) return false;
      for (const p of presence) {
        await this.db.run('INSERT INTO notify_presence (person_id, day, first_in_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [p.personId, p.day, p.atMs]);
      }
      await this.insertRows(rows, nowMs);
      return true;
    });
  }

  addRows(rows: readonly NewOutboxRow[], nowMs: number): Promise<void> {
    return this.db.transaction(() => this.insertRows(rows, nowMs));
  }

  async feedCursor(name: string): Promise<number> {
    const row = await this.db.committed(() => this.db.get<{ hub_seq: number }>(numbered(FEED_CURSOR_READ), [name]));
    return Number(row?.hub_seq ?? 0);
  }

  planFeed(name: string, from: number, to: number, rows: readonly NewOutboxRow[], nowMs: number): Promise<boolean> {
    return this.db.transaction(async () => {
      const moved = await this.db.all<{ hub_seq: number }>(numbered(FEED_CURSOR_MOVE), [name, from, to]);
      if (moved.length === 0) return false;
      await this.insertRows(rows, nowMs);
      return true;
    });
  }

  private async insertRows(rows: readonly NewOutboxRow[], nowMs: number): Promise<void> {
    for (const row of rows) {
      await this.db.run(
        `INSERT INTO notify_outbox (key, event_id, guardian_id, channel, payload, state, due_ms, created_ms)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (key) DO NOTHING`,
        [row.key, row.payload.eventId, row.guardianId, row.channel, JSON.stringify(row.payload), nowMs, nowMs]);
    }
  }

  async present(pairs: ReadonlyArray<{ personId: string; day: string }>): Promise<Set<string>> {
    const found = new Set<string>();
    for (const day of new Set(pairs.map((p) => p.day))) {
      const people = [...new Set(pairs.filter((p) => p.day === day).map((p) => p.personId))];
      for (let i = 0; i < people.length; i += 500) {
        const chunk = people.slice(i, i + 500);
        const rows = await this.db.all<{ person_id: string }>(
          `SELECT person_id FROM notify_presence WHERE day = ? AND person_id IN (${chunk.map(() => '?').join(', ')})`, [day, ...chunk]);
        for (const row of rows) found.add(`${row.person_id}|${day}`);
      }
    }
    return found;
  }

  claim(nowMs: number, leaseMs: number, limit: number): Promise<ClaimedRow[]> {
    return this.db.transaction(async () => {
      const rows = await this.db.all<OutboxDbRow>(
        `SELECT ${OUTBOX_COLUMNS} FROM notify_outbox
         WHERE (state = 'pending' AND due_ms <= ?) OR (state IN ('claimed', 'sending') AND lease_ms <= ?) ORDER BY due_ms, key LIMIT ?`, [nowMs, nowMs, limit]);
      for (const row of rows) {
        await this.db.run("UPDATE notify_outbox SET state = 'claimed', lease_ms = ?, attempts = attempts + 1 WHERE key = ?", [nowMs + leaseMs, row.key]);
      }
      return rows.map((row) => ({ ...toOutboxRow(row), attempts: Number(row.attempts) + 1, state: 'claimed' as const, wasSending: row.state === 'sending' }));
    });
  }

  async markSending(key: string): Promise<void> {
    await this.db.run("UPDATE notify_outbox SET state = 'sending' WHERE key = ?", [key]);
  }

  async markSent(key: string, nowMs: number): Promise<void> {
    await this.db.run("UPDATE notify_outbox SET state = 'sent', sent_ms = ?, lease_ms = NULL, last_error = NULL WHERE key = ?", [nowMs, key]);
  }

  async markRetry(key: string, dueMs: number, error: string): Promise<void> {
    await this.db.run("UPDATE notify_outbox SET state = 'pending', due_ms = ?, lease_ms = NULL, last_error = ? WHERE key = ?", [dueMs, error, key]);
  }

  async markFinal(key: string, state: 'failed' | 'in_doubt' | 'cancelled', error: string): Promise<void> {
    await this.db.run('UPDATE notify_outbox SET state = ?, lease_ms = NULL, last_error = ? WHERE key = ?', [state, error, key]);
  }

  async requeue(key: string, nowMs: number): Promise<boolean> {
    const result = await this.db.run("UPDATE notify_outbox SET state = 'pending', due_ms = ?, attempts = 0 WHERE key = ? AND state IN ('failed', 'in_doubt')", [nowMs, key]);
    return result.changes > 0;
  }

  async hold(key: string, dueMs: number): Promise<void> {
    await this.db.run("UPDATE notify_outbox SET state = 'pending', due_ms = ?, lease_ms = NULL, attempts = MAX(attempts - 1, 0) WHERE key = ?", [dueMs, key]);
  }

  async setQuietHours(id: string, quiet: QuietHours | null): Promise<boolean> {
    const result = await this.db.run('UPDATE notify_guardians SET quiet_start = ?, quiet_end = ? WHERE id = ? AND unlinked_ms IS NULL', [quiet?.start ?? null, quiet?.end ?? null, id]);
    return result.changes > 0;
  }

  async addPageLink(link: PageLink): Promise<void> {
    await this.db.run('INSERT INTO notify_page_links (hash, guardian_ids, form_token, expires_ms, created_ms) VALUES (?, ?, ?, ?, ?)',
      [link.hash, link.guardianIds.join(','), link.formToken, link.expiresMs, link.createdMs]);
  }

  async pageLink(hash: string): Promise<PageLink | null> {
    const row = await this.db.get<PageLinkDbRow>('SELECT hash, guardian_ids, form_token, expires_ms, created_ms FROM notify_page_links WHERE hash = ?', [hash]);
    return row ? toPageLink(row) : null;
  }

  async withdrawNotices(personId: string, guardianId: string, nowMs: number): Promise<void> {
    await this.db.run("INSERT INTO notify_withdrawals (person_id, purpose, guardian_id, withdrawn_ms) VALUES (?, 'notices', ?, ?) ON CONFLICT DO NOTHING", [personId, guardianId, nowMs]);
  }

  async noticesWithdrawn(personIds: readonly string[]): Promise<Set<string>> {
    if (personIds.length === 0) return new Set();
    const rows = await this.db.all<{ person_id: string }>(
      `SELECT person_id FROM notify_withdrawals WHERE purpose = 'notices' AND person_id IN (${personIds.map(() => '?').join(', ')})`, [...personIds]);
    return new Set(rows.map((r) => r.person_id));
  }

  async passages(personIds: readonly string[], fromMs: number, toMs: number): Promise<PassageRow[]> {
    if (personIds.length === 0) return [];
    // true_ms bounds the scan through the partial index on grants' true times (the console's).
    const rows = await this.db.all<PassageDbRow>(
      `SELECT json_extract(body, '$.personId') AS person_id, true_ms AS at_ms, json_extract(body, '$.door') AS door, json_extract(body, '$.direction') AS direction
       FROM events WHERE type = 'access.granted' AND true_ms >= ? AND true_ms < ?
       AND json_extract(body, '$.personId') IN (${personIds.map(() => '?').join(', ')}) AND json_extract(body, '$.direction') IN ('in', 'out')
       ORDER BY true_ms, hub_seq`, [fromMs, toMs, ...personIds]);
    return rows.map(toPassage);
  }

  async outbox(state?: OutboxState): Promise<OutboxRow[]> {
    const rows = await this.db.committed(() =>
      state === undefined
        ? this.db.all<OutboxDbRow>(`SELECT ${OUTBOX_COLUMNS} FROM notify_outbox ORDER BY created_ms, key`)
        : this.db.all<OutboxDbRow>(`SELECT ${OUTBOX_COLUMNS} FROM notify_outbox WHERE state = ? ORDER BY created_ms, key`, [state]));
    return rows.map(toOutboxRow);
  }
}
