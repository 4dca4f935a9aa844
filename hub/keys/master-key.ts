// The hub's master key: it wraps every person's data key in the key store (person-keys.ts). It is
// a file like the hub's other secrets, never a database row: a key in the database would sit in
// the same WAL, replicas and backups as the data it protects.
import { randomBytes } from 'node:crypto';
import { link, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncPath, isErrno, PRIVATE_FILE_MODE, safeWriteFile } from '../../lib/index.js';

const KEY_HEX = /^[0-9a-f]{64}$/;

/**
 * The 32-byte key in `file` (64 hex digits), created 0600 on first start. Creation writes a temp
 * file through safeWriteFile and links it in place: a link never replaces an existing file, so two
 * hub processes starting together end up with the same key (the loser reads the winner's).
 */
export async function loadMasterKey(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.new`);
  await safeWriteFile(temp, `${randomBytes(32).toString('hex')}\n`, PRIVATE_FILE_MODE);
  try {
    await link(temp, file);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  } finally {
    await rm(temp, { force: true });
  }
  await fsyncPath(dirname(file));
  const created = await readKeyFile(file);
  if (!created) throw new Error(`hub master key ${file} vanished after it was created`);
  return created;
}

async function readKeyFile(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  const hex = text.trim().toLowerCase();
  // Refuse rather than make a new key: a new key would make every sealed name read as erased.
  if (!KEY_HEX.test(hex)) throw new Error(`hub master key ${file} is not 64 hex digits`);
  return Buffer.from(hex, 'hex');
}
