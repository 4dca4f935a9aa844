// The per-device key that seals templates and names in the store. A 0600 file under the state
// directory (or a systemd credential path), created on first start with a random 32-byte key.
// A key file that group or others can read is refused: copying it would undo the encryption.
//
// Format: one line of 64 hex characters. The key id is derived from the key (a hash prefix), so a
// key id can never disagree with its key.
//
// Rotation without a window for loss: the next key is written to `<file>.next` first, the store
// re-seals under it in one transaction, then `.next` is renamed over the file. If power fails in
// between, `loadKeyCandidates` offers both keys and the store's key check picks the right one.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectory, safeWriteFile } from '../util/safe-write.js';
import { type Store, createFieldCipher } from '../../sync/store/index.js';
import { isErrno } from '../../lib/index.js';

export interface TemplateKey {
  key: Buffer;
  keyId: string;
}

export class TemplateKeyError extends Error {
  override name = 'TemplateKeyError';
}

const KEY_BYTES = 32;
const KEY_LINE = /^[0-9a-f]{64}$/;

export function keyIdOf(key: Buffer): string {
  return `k-${createHash('sha256').update('esik template key id\0').update(key).digest('hex').slice(0, 16)}`;
}

function encodeKey(key: Buffer): string {
  return `${key.toString('hex')}\n`;
}

async function readKeyFile(file: string): Promise<TemplateKey> {
  const info = await stat(file);
  if (!info.isFile()) throw new TemplateKeyError(`template key ${file} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    throw new TemplateKeyError(
      `template key ${file} is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); ` +
        `run: chmod 600 ${file}`,
    );
  }
  const content = (await readFile(file, 'utf8')).trim().toLowerCase();
  if (!KEY_LINE.test(content)) {
    throw new TemplateKeyError(`template key ${file} is malformed: expected one line of ${KEY_BYTES * 2} hex characters`);
  }
  const key = Buffer.from(content, 'hex');
  return { key, keyId: keyIdOf(key) };
}

async function createKeyFile(file: string): Promise<TemplateKey> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  await safeWriteFile(file, encodeKey(key), 0o600);
  return { key, keyId: keyIdOf(key) };
}

/** Reads the key file, or creates it (random key, mode 0600) when it does not exist. */
export async function loadOrCreateKeyFile(file: string): Promise<TemplateKey> {
  try {
    return await readKeyFile(file);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  return createKeyFile(file);
}

export function nextKeyPath(file: string): string {
  return `${file}.next`;
}

/**
 * The keys a store may be sealed with: the current file, then a `.next` file left by an
 * interrupted rotation. Try them in order against openStore's key check.
 */
export async function loadKeyCandidates(file: string): Promise<TemplateKey[]> {
  const keys = [await loadOrCreateKeyFile(file)];
  try {
    keys.push(await readKeyFile(nextKeyPath(file)));
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  return keys;
}

/** Step 1 of rotation: a fresh key in `<file>.next` (replacing any earlier unfinished one). */
export async function createNextKeyFile(file: string): Promise<TemplateKey> {
  return createKeyFile(nextKeyPath(file));
}

/** Step 3 of rotation, after the store re-sealed under the next key: it becomes the key file. */
export async function promoteNextKeyFile(file: string): Promise<void> {
  await readKeyFile(nextKeyPath(file));
  await rename(nextKeyPath(file), file);
  await fsyncDirectory(dirname(file));
}

/**
 * Key rotation (`esik key rotate`): a fresh key in `<file>.next`, every sealed field re-sealed
 * under it in one transaction, then `.next` promoted. A crash at any step leaves a key file that
 * opens the store (device/kiosk/open-store.ts tries both keys and finishes the rotation).
 */
export async function rotateTemplateKey(store: Store, file: string): Promise<{ keyId: string; rows: number }> {
  const next = await createNextKeyFile(file);
  const rows = await store.rekey(createFieldCipher(next.key, next.keyId));
  await promoteNextKeyFile(file);
  return { keyId: next.keyId, rows };
}
