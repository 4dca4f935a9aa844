// Every file written outside SQLite goes through here: write a temp file beside the target, fsync it,
// rename it over the target, fsync the folder. A power cut leaves either the old file or the new one,
// never a torn one (balena-supervisor's safeRename).
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function safeWriteFile(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
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
  await fsyncDirectory(dir);
}

/** Atomically points `link` at `target` (symlink to temp name, rename over): used for release switching. */
export async function safeSymlinkSwap(target: string, link: string): Promise<void> {
  const { symlink } = await import('node:fs/promises');
  const dir = dirname(link);
  const temp = join(dir, `.${basename(link)}.${randomBytes(6).toString('hex')}.tmp`);
  await symlink(target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(dir);
}
