// File modes for SQLite databases holding personal data (card UIDs, sealed templates, names): the
// database and its -wal/-shm/-journal are readable by the service user alone (0600), and the kiosk's
// state folder is 0700, whatever the process umask (`npm start` runs with the login's 022, not the
// unit's UMask=0077). SQLite gives -wal, -shm and -journal the main file's permissions when it
// creates them, so creating the main file 0600 before SQLite opens it is the root fix; a file that
// already exists, and companions a crash left behind, are chmod-ed on every open.
// No dependencies beyond node:fs (and the errno check beside it): the kiosk's store and the hub both use it.
import { chmod, mkdir, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { isErrno } from './errno.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
const COMPANIONS = ['-wal', '-shm', '-journal'];

/** chmod, tolerating a file that is not there, or not ours (EPERM: leave it as it is rather than refuse to open). */
async function tighten(path: string, mode: number): Promise<void> {
  try {
    await chmod(path, mode);
  } catch (error) {
    if (!isErrno(error, 'ENOENT', 'EPERM')) throw error;
  }
}

/** Skips what SQLite does not keep in a file of that name: in-memory and URI databases. */
function isPlainFile(file: string): boolean {
  return file !== '' && file !== ':memory:' && !file.startsWith('file:');
}

/** Creates `file` 0600 if absent (and its folder 0700 if absent), and sets 0600 on it and its companions. */
export async function makeDatabaseFilePrivate(file: string): Promise<void> {
  if (!isPlainFile(file)) return;
  await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  // O_CREAT without O_EXCL: creates it 0600 (the umask can only remove bits), or opens the existing one.
  const handle = await open(file, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE);
  await handle.close();
  await tighten(file, PRIVATE_FILE_MODE);
  for (const suffix of COMPANIONS) await tighten(`${file}${suffix}`, PRIVATE_FILE_MODE);
}

/** A state folder only the service user may enter: created 0700, or set to 0700 if it exists. */
export async function makeDirectoryPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await tighten(dir, PRIVATE_DIR_MODE);
}
