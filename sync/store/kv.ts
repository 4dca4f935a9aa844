// Small JSON values in the kv table, read and written inside the caller's transaction.
// Internal keys use fixed names (roster.cursor, events.seqFloor, cipher.*); the public
// Store.state API is confined to the "state." prefix so it cannot clobber them.
import type { SqlRunner } from './db.js';

export async function kvGet(sql: SqlRunner, key: string): Promise<unknown> {
  const row = await sql.get('SELECT value FROM kv WHERE key = ?', [key]);
  if (row === undefined || typeof row.value !== 'string') return undefined;
  return JSON.parse(row.value) as unknown;
}

export async function kvSet(sql: SqlRunner, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  if (json === undefined) {
    await sql.run('DELETE FROM kv WHERE key = ?', [key]);
    return;
  }
  await sql.run('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, json]);
}
