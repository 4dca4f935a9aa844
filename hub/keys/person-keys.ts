// Per-person data keys (crypto-shredding): each person's names and templates on the hub are sealed
// with a 256-bit key of their own, and destroying that key makes every copy of the sealed values
// unreadable, the database's WAL, replicas and backups included. So the keys live OUTSIDE the hub's
// database: here, a small SQLite file beside it, each key wrapped by the hub's master key.
import { randomBytes, randomUUID } from 'node:crypto';
import type sqlite3 from 'sqlite3';
import { createFieldCipher, openSqliteFile, type FieldCipher } from '../../lib/index.js';

/**
 * Where person keys are kept. One school: SqlitePersonKeyStore (several hub processes on one host
 * share the file). A district whose hub processes run on several hosts needs a key service behind
 * this same interface (not built; docs/hub.md).
 */
export interface PersonKeyStore {
  /** A random id made when the store was created: the hub's database remembers which store sealed it. */
  identity(): Promise<string>;
  /** Each person's cipher, a key created (in one transaction) for those who have none. */
  keysFor(personIds: readonly string[]): Promise<Map<string, FieldCipher>>;
  /** The ciphers of those of `personIds` that have a key; a destroyed key is simply absent. */
  existing(personIds: readonly string[]): Promise<Map<string, FieldCipher>>;
  /** Destroys the person's key; true when there was one. */
  destroy(personId: string): Promise<boolean>;
  close(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS person_keys (person_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`;

const wrapAad = (personId: string): string => `person_keys.wrapped:${personId}`;

/**
 * A rollback journal, not WAL: with WAL a deleted key would live on in the -wal file until a
 * checkpoint; with secure_delete the page that held it is overwritten at commit. The journal of a
 * transaction briefly holds the old page, and is truncated when it commits.
 */
const PRAGMAS = 'PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA busy_timeout = 10000;';

export class SqlitePersonKeyStore implements PersonKeyStore {
  /** Key-creating transactions of this connection, one after another (a BEGIN inside a BEGIN fails). */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: sqlite3.Database, private readonly master: FieldCipher) {}

  /** Opens (creating, 0600) the key store at `file`, its keys wrapped by `masterKey` (32 bytes). */
  static async open(file: string, masterKey: Buffer): Promise<SqlitePersonKeyStore> {
    const store = new SqlitePersonKeyStore(await openSqliteFile(file), createFieldCipher(masterKey, 'hub-master'));
    await store.exec(`${PRAGMAS} ${SCHEMA}`);
    await store.run('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING', ['identity', randomUUID()]);
    return store;
  }

  async identity(): Promise<string> {
    const rows = await this.all<{ value: string }>("SELECT value FROM store_meta WHERE key = 'identity'", []);
    const id = rows[0]?.value;
    if (id === undefined) throw new Error('person key store has no identity');
    return id;
  }

  async keysFor(personIds: readonly string[]): Promise<Map<string, FieldCipher>> {
    const found = await this.existing(personIds);
    const missing = [...new Set(personIds)].filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    // One transaction (one sync to disk) for a class import's thousands of new keys, after any other
    // batch of this process. Two processes may create one person's key at once: the first insert
    // wins (ON CONFLICT), and both read the stored key back.
    const batch = this.writes.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        for (const id of missing) {
          const key = randomBytes(32);
          await this.run('INSERT INTO person_keys (person_id, wrapped, created_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [id, this.master.seal(key, wrapAad(id)), Date.now()]);
          key.fill(0);
        }
        await this.exec('COMMIT');
      } catch (error) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    this.writes = batch.catch(() => undefined);
    await batch;
    for (const [id, cipher] of await this.existing(missing)) found.set(id, cipher);
    const lost = missing.find((id) => !found.has(id));
    if (lost !== undefined) throw new Error(`person key for ${lost} was destroyed while it was being created`);
    return found;
  }

  async existing(personIds: readonly string[]): Promise<Map<string, FieldCipher>> {
    const out = new Map<string, FieldCipher>();
    const unique = [...new Set(personIds)];
    for (let at = 0; at < unique.length; at += 500) {
      const batch = unique.slice(at, at + 500);
      const rows = await this.all<{ person_id: string; wrapped: Buffer }>(`SELECT person_id, wrapped FROM person_keys WHERE person_id IN (${batch.map(() => '?').join(',')})`, batch);
      for (const row of rows) {
        const key = this.master.open(row.wrapped, wrapAad(row.person_id));
        out.set(row.person_id, createFieldCipher(key, `person:${row.person_id}`));
        key.fill(0);
      }
    }
    return out;
  }

  async destroy(personId: string): Promise<boolean> {
    // After any key-creating batch, so the delete cannot land inside (and roll back with) its transaction.
    const done = this.writes.then(() => this.run('DELETE FROM person_keys WHERE person_id = ?', [personId]));
    this.writes = done.catch(() => undefined);
    return (await done) > 0;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }

  private exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  private run(sql: string, params: ReadonlyArray<string | number | Buffer>): Promise<number> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    });
  }

  private all<T>(sql: string, params: ReadonlyArray<string | number | Buffer>): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows))));
  }
}
