// Which release this process is: the signed manifest.json at the release root when running from
// /opt/esik/releases/<version>, else package.json (a development checkout). The health endpoint
// reports it, and the updater only accepts a health answer that names the version it installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `fromDir` holding a package.json (works from sources and dist/). */
export function appRoot(fromDir = dirname(fileURLToPath(import.meta.url))): string {
  let dir = fromDir;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return fromDir;
    dir = parent;
  }
}

function versionIn(file: string): string | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') return parsed.version;
  } catch {
    // absent or unreadable: try the next source
  }
  return null;
}

export function runningVersion(root = appRoot()): string {
  return versionIn(join(root, 'manifest.json')) ?? versionIn(join(root, 'package.json')) ?? '0.0.0-unknown';
}
