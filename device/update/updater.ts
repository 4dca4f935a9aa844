// esik update / rollback: verify, unpack beside the live release, switch `current` atomically,
// restart, and keep the new release only if it proves healthy; otherwise switch back by itself.
// A school entrance must never be left running a release nobody has seen healthy.
import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { safeWriteFile } from '../util/safe-write.js';
import { isDirectory } from './archive.js';
import { ReleaseRejectedError } from './errors.js';
import { waitForHealthy, type HealthVerdict } from './health-wait.js';
import type { ReleaseLayout } from './layout.js';
import { MANIFEST_FILE, SIGNATURE_FILE, type ReleaseManifest } from './manifest.js';
import { extractPayload } from './payload.js';
import { openRelease } from './release-reader.js';
import { readPublicKey } from './signing.js';
import { compareVersions, highestVersion } from './version-order.js';
import { isErrno } from '../../lib/index.js';

export interface RestartTarget {
  version: string;
  dir: string;
}

/** What a restart hook may hand back: a way to notice the started process dying. */
export interface RestartedRelease {
  exited?: Promise<unknown>;
}

export type RestartHook = (target: RestartTarget) => Promise<RestartedRelease | void>;

/** Records a technician-visible audit event (the daemon's admin API when it runs). */
export type AuditSink = (action: string, detail: Record<string, unknown>) => Promise<void>;

export interface UpdaterOptions {
  layout: ReleaseLayout;
  logger: Logger;
  restart?: RestartHook;
  health: { url: string; timeoutMs: number; stableMs: number; pollMs?: number; maxRestarts?: number };
  /** Releases kept on disk, the live one included. */
  keep?: number;
  audit?: AuditSink;
  publicKey?: KeyObject;
  /** Who asked (audit actor), e.g. the SSH user. */
  actor?: string;
  /** The live database's schema version (the store's readSchemaVersion): a release must know it. */
  databaseSchema?: () => Promise<number>;
}

export interface UpdateResult {
  outcome: 'installed' | 'rolled-back' | 'failed';
  version: string;
  from: string | null;
  reason?: string;
}

const execFileAsync = promisify(execFile);

export const systemctlRestart: RestartHook = async () => {
  await execFileAsync('systemctl', ['restart', 'esik.service'], { timeout: 120_000 });
};

export class Updater {
  private readonly log: Logger;
  private readonly restart: RestartHook;

  constructor(private readonly options: UpdaterOptions) {
    this.log = options.logger.child({ ns: 'update' });
    this.restart = options.restart ?? systemctlRestart;
  }

  async install(archivePath: string, opts: { force?: boolean } = {}): Promise<UpdateResult> {
    return this.withLock(async () => {
      const { layout } = this.options;
      await mkdir(layout.paths.releasesDir, { recursive: true });
      await layout.removeLeftovers();
      await this.recoverInterrupted();
      const from = await layout.currentVersion();
      const manifest = await this.stage(archivePath, from, opts.force ?? false).catch(async (error: unknown) => {
        // A refused archive (bad signature, tampered, incompatible) is worth a record too.
        if (error instanceof ReleaseRejectedError) await this.audit('update.refused', { archive: basename(archivePath), from, reason: error.message });
        throw error;
      });
      await this.audit('update.started', { version: manifest.version, from });
      const result = await this.goLive(manifest.version, from);
      await this.audit(`update.${result.outcome}`, { ...result });
      if (result.outcome === 'installed') {
        const removed = await layout.prune(this.options.keep ?? 3, from ? [from] : []);
        if (removed.length) this.log.info({ removed }, 'old releases removed');
      }
      return result;
    });
  }

  /** Goes back to the newest release that was healthy before the live one. */
  async rollback(opts: { force?: boolean } = {}): Promise<UpdateResult> {
    return this.withLock(async () => {
      const { layout } = this.options;
      await this.recoverInterrupted();
      const from = await layout.currentVersion();
      const state = await layout.readState();
      const installed = new Set(await layout.installedVersions());
      const target = state.history
        .slice()
        .reverse()
        .find((v) => v !== from && installed.has(v));
      if (!target) throw new ReleaseRejectedError('no earlier healthy release is installed to roll back to');
      const live = from ? await layout.readManifest(from) : null;
      const older = await layout.readManifest(target);
      if (live && older && older.schemaVersion < live.minReadableSchema && !opts.force) {
        throw new ReleaseRejectedError(
          `release ${target} (schema ${older.schemaVersion}) cannot read the database of ${from} (needs >= ${live.minReadableSchema}); use --force`,
        );
      }
      await layout.switchTo(target);
      const verdict = await this.restartAndWait(target);
      const result: UpdateResult = verdict.healthy
        ? { outcome: 'rolled-back', version: target, from }
        : { outcome: 'failed', version: target, from, reason: verdict.reason };
      await this.audit('update.rollback', { ...result });
      return result;
    });
  }

  /**
   * An updater killed between switch and verdict (SSH dropped, power cut) leaves `inFlight` behind.
   * If `current` still names that unverified release, verify it now and go back when it is not healthy.
   */
  async recover(): Promise<UpdateResult | null> {
    return this.withLock(() => this.recoverInterrupted());
  }

  private async recoverInterrupted(): Promise<UpdateResult | null> {
    const { layout } = this.options;
    const state = await layout.readState();
    const interrupted = state.inFlight;
    if (!interrupted || (interrupted.pid !== process.pid && processAlive(interrupted.pid))) return null;
    const current = await layout.currentVersion();
    if (current !== interrupted.version) {
      await layout.writeState({ ...state, inFlight: null });
      return null;
    }
    this.log.warn({ version: current, from: interrupted.from }, 'an interrupted update is being verified');
    const result = await this.verdictAfterSwitch(current, interrupted.from, await this.restartAndWait(current));
    await this.audit(`update.${result.outcome}`, { ...result, recovered: true });
    return result;
  }

  /**
   * Verifies the archive and unpacks it into releases/<version>, never touching `current`. Whether the
   * release may be installed here is decided from its verified manifest, before its payload is read.
   */
  private async stage(archivePath: string, from: string | null, force: boolean): Promise<ReleaseManifest> {
    const { layout } = this.options;
    const publicKey = this.options.publicKey ?? (await readPublicKey(layout.paths.publicKeyFile));
    const staging = await mkdtemp(join(layout.paths.releasesDir, '.incoming-'));
    try {
      const release = await openRelease(archivePath, publicKey, staging, (manifest) => this.checkCompatible(manifest, from, force));
      const { manifest } = release;
      const appDir = join(staging, 'app');
      await mkdir(appDir);
      await extractPayload(release.payloadPath, appDir, manifest);
      // The release keeps its own signed manifest: rollback decisions read it later.
      await safeWriteFile(join(appDir, MANIFEST_FILE), release.manifestBytes);
      await safeWriteFile(join(appDir, SIGNATURE_FILE), release.signature);
      const dest = layout.releaseDir(manifest.version);
      if (await isDirectory(dest)) await rename(dest, join(layout.paths.releasesDir, `.discard-${manifest.version}-${Date.now()}`));
      await rename(appDir, dest);
      this.log.info({ version: manifest.version, dir: dest }, 'release verified and unpacked');
      return manifest;
    } finally {
      // Every write into staging has ended by now (the readers close their files before settling);
      // a failed clean-up is logged, never thrown over the error that got us here.
      await rm(staging, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch((error: unknown) =>
        this.log.warn({ err: error, staging }, 'staging folder not removed; the next update removes it'),
      );
      await layout.removeLeftovers().catch((error: unknown) => this.log.warn({ err: error }, 'leftovers not removed'));
    }
  }

  private async checkCompatible(manifest: ReleaseManifest, from: string | null, force: boolean): Promise<void> {
    // Replacing the live folder in place would leave `current` dangling for a moment: never.
    if (manifest.version === from) throw new ReleaseRejectedError(`release ${from} is already live`);
    await this.checkNotOlder(manifest.version, from, force);
    if (force) return;
    if (manifest.arch && manifest.arch !== process.arch) {
      throw new ReleaseRejectedError(`release is built for ${manifest.arch}, this kiosk is ${process.arch}; use --force`);
    }
    const dbSchema = (await this.options.databaseSchema?.()) ?? 0;
    if (dbSchema > manifest.schemaVersion) {
      throw new ReleaseRejectedError(
        `the database is at schema ${dbSchema}; release ${manifest.version} knows only up to ${manifest.schemaVersion} and would refuse to start; use --force`,
      );
    }
    const live = from ? await this.options.layout.readManifest(from) : null;
    if (live && live.schemaVersion < manifest.minReadableSchema) {
      throw new ReleaseRejectedError(
        `release ${manifest.version} migrates the database to schema ${manifest.schemaVersion}, which the live release ` +
          `${from} (schema ${live.schemaVersion}) cannot read after a rollback (needs >= ${manifest.minReadableSchema}); use --force`,
      );
    }
  }

  /**
   * Refuses a release older than the newest one this kiosk has run healthy (or the live one): a
   * correctly signed old release may carry holes fixed since. --force installs it, audited and logged.
   */
  private async checkNotOlder(version: string, from: string | null, force: boolean): Promise<void> {
    const state = await this.options.layout.readState();
    const floor = highestVersion([state.highWater, ...state.history, from]);
    if (floor === null) return;
    const order = compareVersions(version, floor);
    if (order !== null && order >= 0) return;
    const why =
      order === null
        ? `release ${version} cannot be ordered against ${floor}, the newest release this kiosk has run (not a semantic version)`
        : `release ${version} is older than ${floor}, the newest release this kiosk has run healthy`;
    if (!force) throw new ReleaseRejectedError(`${why}; refusing a downgrade (use --force to downgrade on purpose)`);
    this.log.warn({ version, highWater: floor, from }, 'forced downgrade');
    await this.audit('update.downgrade-forced', { version, highWater: floor, from });
  }

  private async goLive(version: string, from: string | null): Promise<UpdateResult> {
    const { layout } = this.options;
    const state = await layout.readState();
    await layout.writeState({ ...state, inFlight: { version, from, startedAt: new Date().toISOString(), pid: process.pid } });
    await layout.switchTo(version);
    return this.verdictAfterSwitch(version, from, await this.restartAndWait(version));
  }

  private async verdictAfterSwitch(version: string, from: string | null, verdict: HealthVerdict): Promise<UpdateResult> {
    const { layout } = this.options;
    const after = await layout.readState();
    if (verdict.healthy) {
      const highWater = highestVersion([after.highWater, version]) ?? after.highWater;
      await layout.writeState({ ...after, history: [...after.history.filter((v) => v !== version), version], highWater, inFlight: null });
      this.log.info({ version, from }, 'update live and healthy');
      return { outcome: 'installed', version, from };
    }
    const failed = [...after.failed, { version, reason: verdict.reason, at: new Date().toISOString() }].slice(-20);
    await layout.writeState({ ...after, failed, inFlight: null });
    this.log.error({ version, reason: verdict.reason }, 'update not healthy');
    if (!from) return { outcome: 'failed', version, from, reason: verdict.reason };
    await layout.switchTo(from);
    const back = await this.restartAndWait(from);
    if (!back.healthy) this.log.error({ version: from, reason: back.reason }, 'previous release not healthy after rollback either');
    return { outcome: 'rolled-back', version: from, from: version, reason: verdict.reason };
  }

  private async restartAndWait(version: string): Promise<HealthVerdict> {
    const dir = this.options.layout.releaseDir(version);
    let started: RestartedRelease | void;
    try {
      started = await this.restart({ version, dir });
    } catch (error) {
      return { healthy: false, reason: `restart failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    return waitForHealthy({ ...this.options.health, version, exited: started?.exited });
  }

  private async audit(action: string, detail: Record<string, unknown>): Promise<void> {
    this.log.info({ action, ...detail }, 'audit');
    try {
      await this.options.audit?.(action, { actor: this.options.actor ?? 'technician', ...detail });
    } catch (error) {
      this.log.warn({ err: error, action }, 'audit event could not be recorded');
    }
  }

  /** One update at a time; a lock left by a killed updater (dead pid) is taken over. */
  private async withLock<T>(body: () => Promise<T>): Promise<T> {
    const lockFile = this.options.layout.paths.lockFile;
    await mkdir(this.options.layout.paths.installDir, { recursive: true });
    await acquireLock(lockFile);
    try {
      return await body();
    } finally {
      await rm(lockFile, { force: true });
    }
  }
}

async function acquireLock(lockFile: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new ReleaseRejectedError(`another update is in progress (pid ${holder})`);
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new ReleaseRejectedError('could not take the update lock');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
}
