// Unpacking a verified payload. Its bytes are the signer's, but a signing key can leak and a build
// can go wrong, so every entry is checked before anything is written: only plain files, folders and
// links; no absolute path, no `..`, no link that leads out of the release or an entry written
// through one; and the total stays within the size the manifest declares. Then it is extracted and
// fsynced.
import { statfs } from 'node:fs/promises';
import { posix } from 'node:path';
import * as tar from 'tar';
import { ReleaseRejectedError } from './errors.js';
import { fsyncTree } from '../../lib/index.js';
import type { ReleaseManifest } from './manifest.js';
import { readEntries } from './tar-entries.js';

/** Manifests signed before `unpackedBytes` existed are bounded by this (a whole release with node_modules is a few hundred MB). */
const LEGACY_UNPACKED_CEILING = 2 * 1024 ** 3;
/** node_modules holds tens of thousands of files; millions of empty ones would only exhaust inodes. */
const MAX_PAYLOAD_ENTRIES = 500_000;
/** Left free on the disk after unpacking: the door's database shares it. */
const DISK_RESERVE_BYTES = 64 * 1024 ** 2;

const FILE_TYPES = new Set<tar.ReadEntry['type']>(['File', 'OldFile', 'ContiguousFile']);
const ALLOWED_TYPES = new Set<tar.ReadEntry['type']>([...FILE_TYPES, 'Directory', 'SymbolicLink', 'Link']);

export function unpackedLimitOf(manifest: ReleaseManifest): number {
  return manifest.payload.unpackedBytes ?? LEGACY_UNPACKED_CEILING;
}

/** Stays inside the release: relative, no `..` segment once normalised. */
function isContained(path: string): boolean {
  if (path === '' || posix.isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('\\')) return false;
  const normal = posix.normalize(path);
  return normal !== '..' && !normal.startsWith('../');
}

function hasDotDot(path: string): boolean {
  return path.split('/').includes('..');
}

/** Checks entries one by one; holds what earlier entries created (symbolic links) to judge later ones. */
export class PayloadEntryCheck {
  private readonly symlinks = new Set<string>();
  private entries = 0;
  unpackedBytes = 0;

  constructor(private readonly limitBytes: number) {}

  /** Why this entry is refused, or null when it is fine. */
  problem(entry: Pick<tar.ReadEntry, 'path' | 'type' | 'size' | 'linkpath'>): string | null {
    const path = entry.path.replace(/\/+$/, '');
    if (!ALLOWED_TYPES.has(entry.type)) return `"${entry.path}" is a ${entry.type}; a release holds only files, folders and links`;
    if (!isContained(path) || hasDotDot(path)) return `"${entry.path}" points outside the release`;
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i += 1) {
      if (this.symlinks.has(segments.slice(0, i).join('/'))) return `"${entry.path}" would be written through a symbolic link`;
    }
    if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
      const target = entry.linkpath ?? '';
      // A symbolic link resolves from its own folder; a hard link names a path in the archive.
      const resolved = entry.type === 'SymbolicLink' ? posix.join(posix.dirname(path), target) : target;
      if (posix.isAbsolute(target) || !isContained(resolved)) return `link "${entry.path}" -> "${target}" points outside the release`;
      if (entry.type === 'SymbolicLink') this.symlinks.add(path);
    }
    this.entries += 1;
    if (this.entries > MAX_PAYLOAD_ENTRIES) return `payload has more than ${MAX_PAYLOAD_ENTRIES} entries`;
    if (FILE_TYPES.has(entry.type)) this.unpackedBytes += entry.size;
    if (this.unpackedBytes > this.limitBytes) return `payload unpacks to more than the ${this.limitBytes} bytes its manifest declares`;
    return null;
  }
}

/** Reads every header of the payload (bodies are skipped, nothing is written); throws on the first bad entry. */
export async function checkPayload(payloadPath: string, limitBytes: number): Promise<number> {
  const check = new PayloadEntryCheck(limitBytes);
  await readEntries(payloadPath, (entry) => {
    const problem = check.problem(entry);
    if (problem !== null) throw new ReleaseRejectedError(`release payload refused: ${problem}`);
    entry.resume();
    return Promise.resolve('more');
  });
  return check.unpackedBytes;
}

async function checkDiskSpace(dir: string, needed: number): Promise<void> {
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < needed + DISK_RESERVE_BYTES) {
    throw new ReleaseRejectedError(`not enough disk space to unpack the release: ${needed} bytes needed, ${free} free (${DISK_RESERVE_BYTES} kept for the database)`);
  }
}

/**
 * Checks a verified payload entry by entry, then unpacks it into `destDir` (tar's own path checks
 * stay on, and the same check filters again as it unpacks) and fsyncs every file, so a power cut
 * after the switch finds the release whole.
 */
export async function extractPayload(payloadPath: string, destDir: string, manifest: ReleaseManifest): Promise<void> {
  const limit = unpackedLimitOf(manifest);
  const unpackedBytes = await checkPayload(payloadPath, limit);
  await checkDiskSpace(destDir, unpackedBytes);
  const again = new PayloadEntryCheck(limit);
  await tar.x({
    file: payloadPath,
    cwd: destDir,
    strict: true,
    preservePaths: false,
    filter: (path, entry) => 'type' in entry && again.problem({ path, type: entry.type, size: entry.size, linkpath: entry.linkpath }) === null,
  });
  await fsyncTree(destDir);
}
