// Where a hub keeps its state when nothing is said: `npm run hub` with no flags runs a one-school
// hub on SQLite in ./var (or $ESIK_HUB_STATE_DIR), with an admin token made once and kept beside it.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { generateToken } from './auth.js';
import { parseStorageLocation } from './open-storage.js';
import { isErrno, makeDirectoryPrivate, PRIVATE_FILE_MODE, safeWriteFile } from '../lib/index.js';

export const ADMIN_TOKEN_FILE_NAME = 'hub-admin-token';

export interface StorageChoice {
  /** --database, else --db, else ESIK_HUB_DATABASE_URL. */
  database?: string;
  db?: string;
}

export function stateDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.ESIK_HUB_STATE_DIR || 'var');
}

/** The database location: a flag, the environment, or <state dir>/hub.db. */
export function databaseLocation(choice: StorageChoice, env: NodeJS.ProcessEnv): string {
  if (choice.database && choice.db) throw new Error('--database and --db name the same thing: pass one');
  return choice.database || choice.db || env.ESIK_HUB_DATABASE_URL || join(stateDir(env), 'hub.db');
}

/** Beside a SQLite database; in the state folder for PostgreSQL (the database is elsewhere). */
export function defaultAdminTokenFile(location: string, env: NodeJS.ProcessEnv): string {
  const parsed = parseStorageLocation(location);
  return join(parsed.kind === 'sqlite' ? dirname(resolve(parsed.file)) : stateDir(env), ADMIN_TOKEN_FILE_NAME);
}

/**
 * The token in `file`, or a new one written there (0600, durably) when the file does not exist.
 * `created` tells the caller to say where it is.
 */
export async function adminTokenFromFile(file: string): Promise<{ token: string; created: boolean }> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length < 16) throw new Error(`${file} holds no usable admin token (16 characters or more)`);
    return { token, created: false };
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  await makeDirectoryPrivate(dirname(file));
  const token = generateToken();
  await safeWriteFile(file, `${token}\n`, PRIVATE_FILE_MODE);
  return { token, created: true };
}
