// Where releases live on a kiosk, relative to a root ("/" on a Pi, a temp folder in tests):
//   /opt/esik/releases/<version>/   unpacked releases (each with its manifest.json)
//   /opt/esik/current -> releases/<version>   the live one, switched by an atomic symlink rename
//   /opt/esik/update-state.json      which versions were healthy (and the highest of them), which failed,
//                                    an update in flight (written through safeWriteFile: temp, fsync, rename)
//   /etc/esik/release-key.pub        the Ed25519 key releases must be signed with
import { readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { safeSymlinkSwap, safeWriteFile } from '../util/safe-write.js';
import { MANIFEST_FILE, parseManifest, RELEASE_VERSION, type ReleaseManifest } from './manifest.js';

export interface ReleaseLayoutPaths {
  root: string;
  installDir: string;
  releasesDir: string;
  currentLink: string;
  stateFile: string;
  lockFile: string;
  publicKeyFile: string;
}

export function releaseLayoutPaths(root = '/'): ReleaseLayoutPaths {
  const installDir = join(root, 'opt', 'esik');
  return {
    root,
    installDir,
    releasesDir: join(installDir, 'releases'),
    currentLink: join(installDir, 'current'),
    stateFile: join(installDir, 'update-state.json'),
    lockFile: join(installDir, '.update.lock'),
    publicKeyFile: join(root, 'etc', 'esik', 'release-key.pub'),
  };
}

const UpdateStateSchema = z.object({
  /** Versions that went live and passed the health check, oldest first. */
  history: z.array(z.string()).default([]),
  /**
   * The highest version ever live and healthy here. Installing anything older is refused unless
   * forced (a correctly signed old release may carry holes fixed since); it never goes down, not even
   * after a forced downgrade or a rollback, so an attacker cannot walk it back one release at a time.
   */
  highWater: z.string().nullable().default(null),
  failed: z.array(z.object({ version: z.string(), reason: z.string(), at: z.string() })).default([]),
  /** Set while an update is between switch and verdict: an interrupted update shows here. */
  inFlight: z.object({ version: z.string(), from: z.string().nullable(), startedAt: z.string(), pid: z.number() }).nullable().default(null),
});
export type UpdateState = z.infer<typeof UpdateStateSchema>;

export class ReleaseLayout {
  readonly paths: ReleaseLayoutPaths;

  constructor(root = '/') {
    this.paths = releaseLayoutPaths(root);
  }

  releaseDir(version: string): string {
    if (!RELEASE_VERSION.test(version)) throw new Error(`invalid release version "${version}"`);
    return join(this.paths.releasesDir, version);
  }

  /** Version `current` points at, or null when there is none (fresh install) or it dangles. */
  async currentVersion(): Promise<string | null> {
    try {
      const target = await readlink(this.paths.currentLink);
      const version = basename(target);
      return (await stat(this.releaseDir(version))).isDirectory() ? version : null;
    } catch {
      return null;
    }
  }

  async readManifest(version: string): Promise<ReleaseManifest | null> {
    try {
      return parseManifest(await readFile(join(this.releaseDir(version), MANIFEST_FILE)));
    } catch {
      return null;
    }
  }

  /** Installed release versions (complete folders only; staging folders start with a dot). */
  async installedVersions(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.paths.releasesDir);
    } catch {
      return [];
    }
    return names.filter((name) => !name.startsWith('.') && RELEASE_VERSION.test(name)).sort();
  }

  /** Points `current` at an installed release: one rename, so a crash leaves the old or the new link. */
  async switchTo(version: string): Promise<void> {
    const dir = this.releaseDir(version);
    if (!(await stat(dir)).isDirectory()) throw new Error(`release ${version} is not installed`);
    await safeSymlinkSwap(join('releases', version), this.paths.currentLink);
  }

  async readState(): Promise<UpdateState> {
    try {
      const json: unknown = JSON.parse(await readFile(this.paths.stateFile, 'utf8'));
      return UpdateStateSchema.parse(json);
    } catch {
      return UpdateStateSchema.parse({});
    }
  }

  async writeState(state: UpdateState): Promise<void> {
    await safeWriteFile(this.paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  /** Removes leftovers of interrupted runs: staging folders and temp links in the install dir. */
  async removeLeftovers(): Promise<void> {
    for (const name of await readdir(this.paths.releasesDir).catch(() => [])) {
      if (name.startsWith('.incoming-') || name.startsWith('.discard-')) {
        await rm(join(this.paths.releasesDir, name), { recursive: true, force: true });
      }
    }
    for (const name of await readdir(this.paths.installDir).catch(() => [])) {
      if (name.startsWith('.current.') && name.endsWith('.tmp')) await rm(join(this.paths.installDir, name), { force: true });
    }
  }

  /** Deletes old releases beyond `keep`, never the live one or the ones named in `protect`. */
  async prune(keep: number, protect: string[]): Promise<string[]> {
    const current = await this.currentVersion();
    const state = await this.readState();
    const keepSet = new Set([...protect, ...(current ? [current] : [])]);
    // Newest live history first, then anything else installed (failed or never used).
    const installed = await this.installedVersions();
    const ordered = [...state.history.slice().reverse(), ...installed.filter((v) => !state.history.includes(v))];
    const survivors = new Set<string>(keepSet);
    for (const version of ordered) {
      if (survivors.size >= keep) break;
      if (installed.includes(version)) survivors.add(version);
    }
    const removed: string[] = [];
    for (const version of installed) {
      if (survivors.has(version)) continue;
      await rm(this.releaseDir(version), { recursive: true, force: true });
      removed.push(version);
    }
    return removed;
  }
}
