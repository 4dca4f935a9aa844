// The update flow end to end with real processes in a temporary root: real signed archives, real
// unpacking and symlink switching, a restart hook that starts the release's program directly, and the
// updater polling that program's real health endpoint over HTTP.
import { mkdir, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseRejectedError } from '../../device/update/archive.js';
import { ReleaseLayout } from '../../device/update/layout.js';
import { generateReleaseKeyPair, loadPrivateKey } from '../../device/update/signing.js';
import { Updater } from '../../device/update/updater.js';
import { DirectProcessRestarter, buildFakeRelease, freePort, tempRoot } from './helpers/releases.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });

describe('esik update: install, health check, automatic rollback', () => {
  let root: string;
  let work: string;
  let layout: ReleaseLayout;
  let restarter: DirectProcessRestarter;
  let updater: Updater;
  let databaseSchema = 1;
  const audits: Array<{ action: string; detail: Record<string, unknown> }> = [];
  const keys = generateReleaseKeyPair();
  const privateKey = loadPrivateKey(keys.privateKeyPem);

  beforeAll(async () => {
    root = await tempRoot('esik-update-root-');
    work = await tempRoot('esik-update-work-');
    layout = new ReleaseLayout(root);
    await mkdir(join(root, 'etc', 'esik'), { recursive: true });
    await writeFile(join(root, 'etc', 'esik', 'release-key.pub'), keys.publicKeyPem);
    const port = await freePort();
    restarter = new DirectProcessRestarter(port);
    updater = new Updater({
      layout,
      logger,
      restart: restarter.restart,
      health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: 8_000, stableMs: 600, pollMs: 100 },
      keep: 3,
      databaseSchema: () => Promise.resolve(databaseSchema),
      audit: (action, detail) => {
        audits.push({ action, detail });
        return Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await restarter.stop();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  async function liveVersion(): Promise<string> {
    const { stdout } = await run(process.execPath, [join(layout.paths.currentLink, 'app.mjs'), '--check']);
    return stdout.trim();
  }

  it('puts a good first release live', async () => {
    const archive = await buildFakeRelease({ workDir: work, version: '1.0.0', mode: 'good', privateKey });
    const result = await updater.install(archive);
    expect(result).toMatchObject({ outcome: 'installed', version: '1.0.0', from: null });
    expect(await readlink(layout.paths.currentLink)).toBe(join('releases', '1.0.0'));
    expect(await liveVersion()).toBe('1.0.0');
  });

  it('switches to a good second release and records it as healthy', async () => {
    const archive = await buildFakeRelease({ workDir: work, version: '1.1.0', mode: 'good', privateKey });
    const result = await updater.install(archive);
    expect(result).toMatchObject({ outcome: 'installed', version: '1.1.0', from: '1.0.0' });
    expect(await liveVersion()).toBe('1.1.0');
    expect((await layout.readState()).history).toEqual(['1.0.0', '1.1.0']);
    expect(audits.map((a) => a.action)).toContain('update.installed');
  });

  it('rolls back by itself when the new release crashes at start', async () => {
    const archive = await buildFakeRelease({ workDir: work, version: '1.2.0', mode: 'crash', privateKey });
    const result = await updater.install(archive);
    expect(result.outcome).toBe('rolled-back');
    expect(result.version).toBe('1.1.0');
    expect(result.reason).toMatch(/exited/);
    expect(await liveVersion()).toBe('1.1.0');
    expect(restarter.started.slice(-2)).toEqual(['1.2.0', '1.1.0']);
    const state = await layout.readState();
    expect(state.failed.map((f) => f.version)).toContain('1.2.0');
    expect(state.inFlight).toBeNull();
  });

  it('rolls back by itself when the new release never becomes healthy', async () => {
    const archive = await buildFakeRelease({ workDir: work, version: '1.3.0', mode: 'unhealthy', privateKey });
    const result = await updater.install(archive);
    expect(result).toMatchObject({ outcome: 'rolled-back', version: '1.1.0', from: '1.3.0' });
    expect(result.reason).toMatch(/not healthy within/);
    expect(await liveVersion()).toBe('1.1.0');
    const response = await fetch(updaterHealthUrl(updater));
    expect(((await response.json()) as { version: string }).version).toBe('1.1.0');
  });

  it('refuses a release that does not know the schema the database is already at', async () => {
    databaseSchema = 9;
    const archive = await buildFakeRelease({ workDir: work, version: '1.4.0', mode: 'good', privateKey });
    await expect(updater.install(archive)).rejects.toThrow(/database is at schema 9; release 1\.4\.0 knows only up to 1/);
    databaseSchema = 1;
    expect(await layout.installedVersions()).not.toContain('1.4.0');
    expect(await liveVersion()).toBe('1.1.0');
  });

  it('refuses a tampered payload and leaves the live release alone', async () => {
    const archive = await buildFakeRelease({ workDir: work, version: '2.0.0', mode: 'good', privateKey });
    const unpacked = join(work, 'tamper');
    await mkdir(unpacked);
    await tar.x({ file: archive, cwd: unpacked });
    const inner = join(unpacked, 'payload-src');
    await mkdir(inner);
    await tar.x({ file: join(unpacked, 'payload.tar.gz'), cwd: inner });
    await writeFile(join(inner, 'mode'), 'crash'); // the attacker's change
    await tar.c({ gzip: true, cwd: inner, file: join(unpacked, 'payload.tar.gz') }, ['app.mjs', 'mode', 'lib']);
    const tampered = join(work, 'tampered.tgz');
    await tar.c({ gzip: true, cwd: unpacked, file: tampered }, ['manifest.json', 'manifest.sig', 'payload.tar.gz']);
    await expect(updater.install(tampered)).rejects.toThrow(/checksum mismatch/);
    expect(await layout.installedVersions()).not.toContain('2.0.0');
    expect(await liveVersion()).toBe('1.1.0');
  });

  it('refuses a release signed with another key, and garbage', async () => {
    const stranger = loadPrivateKey(generateReleaseKeyPair().privateKeyPem);
    const forged = await buildFakeRelease({ workDir: work, version: '2.1.0', mode: 'good', privateKey: stranger });
    await expect(updater.install(forged)).rejects.toThrow(/signature does not verify/);
    const garbage = join(work, 'garbage.tgz');
    await writeFile(garbage, Buffer.from('this is not a tarball at all'));
    await expect(updater.install(garbage)).rejects.toBeInstanceOf(ReleaseRejectedError);
    expect(await layout.installedVersions()).not.toContain('2.1.0');
    expect((await readdir(layout.paths.releasesDir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(await liveVersion()).toBe('1.1.0');
  });

  it('refuses a release whose database the live one could not read after a rollback, unless forced', async () => {
    const archive = await buildFakeRelease({
      workDir: work,
      version: '3.0.0',
      mode: 'good',
      privateKey,
      schemaVersion: 4,
      minReadableSchema: 3,
    });
    await expect(updater.install(archive)).rejects.toThrow(/cannot read after a rollback/);
    expect(await liveVersion()).toBe('1.1.0');
    const forced = await updater.install(archive, { force: true });
    expect(forced).toMatchObject({ outcome: 'installed', version: '3.0.0' });
    // And going back to 1.1.0 is refused for the same reason.
    await expect(updater.rollback()).rejects.toThrow(/cannot read the database/);
  });

  it('esik rollback returns to the previous healthy release; old releases are pruned to K', async () => {
    const result = await updater.rollback({ force: true });
    expect(result).toMatchObject({ outcome: 'rolled-back', version: '1.1.0', from: '3.0.0' });
    expect(await liveVersion()).toBe('1.1.0');
    expect(audits.map((a) => a.action)).toContain('update.rollback');
    expect((await layout.installedVersions()).length).toBeLessThanOrEqual(3);
    expect(await layout.installedVersions()).toContain('1.1.0');
    const manifest = JSON.parse(await readFile(join(layout.paths.currentLink, 'manifest.json'), 'utf8')) as { version: string };
    expect(manifest.version).toBe('1.1.0');
  });

  it('refuses a correctly signed release older than the newest one run healthy; --force installs it and audits the downgrade', async () => {
    // 3.0.0 ran healthy before the rollback: the mark stays there, so 2.9.0 is a downgrade even though 1.1.0 is live.
    expect((await layout.readState()).highWater).toBe('3.0.0');
    audits.length = 0;
    const old = await buildFakeRelease({ workDir: work, version: '2.9.0', mode: 'good', privateKey });
    await expect(updater.install(old)).rejects.toThrow(
      'release 2.9.0 is older than 3.0.0, the newest release this kiosk has run healthy; refusing a downgrade (use --force to downgrade on purpose)',
    );
    expect(await layout.installedVersions()).not.toContain('2.9.0');
    expect((await readdir(layout.paths.releasesDir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(await liveVersion()).toBe('1.1.0');
    expect(audits.map((a) => a.action)).toEqual(['update.refused']);
    expect(audits.some((a) => a.action === 'update.downgrade-forced')).toBe(false);

    const forced = await updater.install(old, { force: true });
    expect(forced).toMatchObject({ outcome: 'installed', version: '2.9.0', from: '1.1.0' });
    expect(await liveVersion()).toBe('2.9.0');
    expect(audits.find((a) => a.action === 'update.downgrade-forced')?.detail).toMatchObject({ version: '2.9.0', highWater: '3.0.0', from: '1.1.0' });
    expect((await layout.readState()).highWater).toBe('3.0.0');
  });
});

function updaterHealthUrl(updater: Updater): string {
  return (updater as unknown as { options: { health: { url: string } } }).options.health.url;
}
