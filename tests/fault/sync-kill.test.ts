// kill -9 of the kiosk-side sync process at random points during push, 50 times over one store
// file and one real hub process: afterwards the hub holds every recorded event exactly once, in
// seq order. The child is tests/sync/harness/push-child.ts (the real store and SyncClient in a
// small process), which starts much faster than the full kiosk.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../sync/fault-proxy.js';
import { allHubEvents, checkExactlyOnce, openKioskStore, registerDevice, repoRoot, startHubProcess, tempDir, type HubProcess } from '../sync/helpers.js';

const TRIALS = Number(process.env.ESIK_KILL_TRIALS ?? '50');

describe('sync survives kill -9 of the kiosk during push', () => {
  let hub: HubProcess;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let proxy: FaultProxy;

  beforeAll(async () => {
    tmp = await tempDir();
    hub = await startHubProcess(join(tmp.dir, 'hub.db'));
    proxy = await FaultProxy.start(hub.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await hub?.stop();
    await tmp?.cleanup();
  });

  function runChild(env: Record<string, string>, killAfterReadyMs: number | null): Promise<'killed' | 'drained'> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'tests/sync/harness/push-child.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
      let stderr = '';
      let out = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      let armed = false;
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (killAfterReadyMs !== null && !armed && out.includes('ready')) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs);
        }
      });
      child.once('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve('killed');
        else if (code === 0 && out.includes('drained')) resolve('drained');
        else reject(new Error(`child failed (${String(code)}): ${stderr}`));
      });
    });
  }

  it(`${TRIALS} random kills, then a clean drain: every event on the hub exactly once, in seq order`, async () => {
    const deviceId = 'kiosk-kill';
    const token = await registerDevice(hub, deviceId);
    const key = randomBytes(32).toString('hex');
    const db = join(tmp.dir, 'kiosk.db');
    const env = { ESIK_TEST_DB: db, ESIK_TEST_KEY: key, ESIK_TEST_HUB: proxy.url, ESIK_TEST_TOKEN: token, ESIK_TEST_DEVICE: deviceId, ESIK_TEST_BATCH: '25' };
    // Some answers are also lost after the hub committed, so kills land on every step of a push.
    proxy.fault = { kind: 'drop-after-commit', probability: 0.1 };
    let killed = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const outcome = await runChild({ ...env, ESIK_TEST_APPEND_BEFORE: '120', ESIK_TEST_APPEND_DURING: '60' }, Math.floor(Math.random() * 250));
      if (outcome === 'killed') killed += 1;
    }
    proxy.fault = { kind: 'none' };
    expect(await runChild({ ...env, ESIK_TEST_APPEND_BEFORE: '0', ESIK_TEST_APPEND_DURING: '0' }, null)).toBe('drained');

    const store = await openKioskStore(db, deviceId, key);
    const recorded = await store.events.since(0, 1_000_000);
    const backlog = await store.outbox.backlog();
    await store.close();
    const onHub = (await allHubEvents(hub)).filter((e) => e.deviceId === deviceId);
    const check = checkExactlyOnce(onHub);

    expect(killed).toBeGreaterThanOrEqual(Math.floor(TRIALS * 0.8));
    expect(backlog).toMatchObject({ pending: 0, quarantined: 0 });
    expect(check).toEqual({ ids: recorded.length, duplicates: 0, outOfOrder: 0 });
    expect(onHub.map((e) => e.event.id).sort()).toEqual(recorded.map((e) => e.id).sort());
    expect(proxy.stats.dropped).toBeGreaterThan(0);
  }, 600_000);
});
