// Every file written outside SQLite goes through here: write a temp file beside the target, fsync it,
// rename it over the target, fsync the folder. A power cut leaves either the old file or the new one,
// never a torn one (balena-supervisor's safeRename). Also the fsyncs an updater needs for a whole
// unpacked tree and for a folder after a rename.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync of one file or folder (a folder's fsync makes renames and new names in it durable). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Every file below `dir`, then each folder: a release switched to after a power cut must be whole. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(path);
    else if (entry.isFile()) await fsyncPath(path);
  }
  await fsyncPath(dir);
}

const tempBeside = (target: string): string => join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);

export async function safeWriteFile(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = tempBeside(target);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncPath(dirname(target));
}

/** Atomically points `link` at `target` (symlink to a temp name, renamed over): used for release switching. */
export async function safeSymlinkSwap(target: string, link: string): Promise<void> {
  const temp = tempBeside(link);
  await symlink(target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncPath(dirname(link));
}
