// kill -9 at random points while `current` is being switched (and during a whole install): afterwards
// `current` must always name a complete release that runs, and the next update must still work.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseLayout } from '../../device/update/layout.js';
import { generateReleaseKeyPair, loadPrivateKey } from '../../device/update/signing.js';
import { Updater } from '../../device/update/updater.js';
import { DirectProcessRestarter, buildFakeRelease, freePort, tempRoot } from '../ops/helpers/releases.js';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, '..', 'ops', 'helpers', 'switch-child.ts');
const TRIALS = 8;
// Each trial starts a tsx child; on a loaded 2-core machine that alone can take seconds.
const TRIAL_TIMEOUT_MS = 300_000;
const children = new Set<ReturnType<typeof spawn>>();

async function startChild(args: string[]): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  return child;
}

async function killAfter(child: ReturnType<typeof spawn>, ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited.catch(() => undefined);
}

describe('kill -9 during the release switch', () => {
  let root: string;
  let work: string;
  let layout: ReleaseLayout;
  let restarter: DirectProcessRestarter;
  let updater: Updater;
  const keys = generateReleaseKeyPair();
  const privateKey = loadPrivateKey(keys.privateKeyPem);

  beforeAll(async () => {
    root = await tempRoot('esik-kill-root-');
    work = await tempRoot('esik-kill-work-');
    layout = new ReleaseLayout(root);
    await mkdir(join(root, 'etc', 'esik'), { recursive: true });
    await writeFile(layout.paths.publicKeyFile, keys.publicKeyPem);
    const port = await freePort();
    restarter = new DirectProcessRestarter(port);
    updater = new Updater({
      layout,
      logger: pino({ level: 'silent' }),
      restart: restarter.restart,
      health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: 5_000, stableMs: 300, pollMs: 100 },
      keep: 10,
    });
    for (const version of ['1.0.0', '1.1.0']) {
      await updater.install(await buildFakeRelease({ workDir: work, version, mode: 'good', privateKey }));
    }
    await restarter.stop();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await restarter.stop();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  async function expectWorkingCurrent(): Promise<string> {
    const version = await layout.currentVersion();
    expect(version).not.toBeNull();
    const manifest = JSON.parse(await readFile(join(layout.paths.currentLink, 'manifest.json'), 'utf8')) as { version: string };
    expect(manifest.version).toBe(version);
    const { stdout } = await run(process.execPath, [join(layout.paths.currentLink, 'app.mjs'), '--check']);
    expect(stdout.trim()).toBe(version);
    return stdout.trim();
  }

  it(`leaves a working current after SIGKILL at random points of a switch loop (${TRIALS} trials)`, async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const child = await startChild(['switch-loop', root, '1.0.0', '1.1.0']);
      await killAfter(child, 5 + Math.floor(Math.random() * 150));
      seen.add(await expectWorkingCurrent());
    }
    expect(seen.size).toBeGreaterThanOrEqual(1);
  }, TRIAL_TIMEOUT_MS);

  it(`leaves a working current after SIGKILL at random points of a whole install (${TRIALS} trials)`, async () => {
    const archive = await buildFakeRelease({ workDir: work, version: '2.0.0', mode: 'good', privateKey });
    for (let trial = 0; trial < TRIALS; trial += 1) {
      await layout.switchTo('1.1.0');
      const child = await startChild(['install', root, archive]);
      await killAfter(child, Math.floor(Math.random() * 600));
      await expectWorkingCurrent();
    }
    // The killed updaters left a lock with a dead pid, maybe staging folders and an update in flight:
    // the next update recovers from all of it.
    await layout.switchTo('1.1.0');
    const result = await updater.install(archive);
    expect(result).toMatchObject({ outcome: 'installed', version: '2.0.0' });
    expect(await expectWorkingCurrent()).toBe('2.0.0');
  }, TRIAL_TIMEOUT_MS);

  it('verifies an update whose updater was killed after the switch, and rolls it back when unhealthy', async () => {
    const before = await expectWorkingCurrent();
    const archive = await buildFakeRelease({ workDir: work, version: '2.1.0', mode: 'unhealthy', privateKey });
    const child = await startChild(['install', root, archive, '20000']);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const state = await layout.readState();
      if (state.inFlight?.version === '2.1.0' && (await layout.currentVersion()) === '2.1.0') break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await killAfter(child, 0);
    expect(await layout.currentVersion()).toBe('2.1.0');
    expect((await layout.readState()).inFlight?.version).toBe('2.1.0');
    const recovered = await updater.recover();
    expect(recovered).toMatchObject({ outcome: 'rolled-back', version: before, from: '2.1.0' });
    expect(await expectWorkingCurrent()).toBe(before);
    expect((await layout.readState()).inFlight).toBeNull();
  }, TRIAL_TIMEOUT_MS);
});
