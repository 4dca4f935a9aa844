// Reads a database's schema version without migrating it: an update checks that the release it
// installs knows this version before switching over (0 when the file does not exist yet).
import { access } from 'node:fs/promises';
import { SqliteConnection } from './db.js';
import { userVersion } from './migrations.js';

export async function readSchemaVersion(file: string): Promise<number> {
  try {
    await access(file);
  } catch {
    return 0;
  }
  const db = await SqliteConnection.open(file, true);
  try {
    return await userVersion(db);
  } finally {
    await db.close();
  }
}
