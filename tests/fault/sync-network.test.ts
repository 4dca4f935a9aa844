// The network between kiosk and hub misbehaves (fault proxy on loopback, real hub process): lost
// answers after commit, duplicated and late (reordered) batches, 500/503 with Retry-After, a hang,
// and a long partition while 100,000 events accumulate. Every event still arrives exactly once.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../sync/client/index.js';
import type { Store } from '../../sync/store/index.js';
import { FaultProxy, type Fault } from '../sync/fault-proxy.js';
import { allHubEvents, appendEvents, checkExactlyOnce, openKioskStore, registerDevice, silentLogger, startHubProcess, tempDir, type HubProcess } from '../sync/helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('sync over a faulty network', () => {
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

  async function kiosk(deviceId: string, batchSize = 100): Promise<{ store: Store; client: SyncClient }> {
    const token = await registerDevice(hub, deviceId);
    const store = await openKioskStore(join(tmp.dir, `${deviceId}.db`), deviceId, randomBytes(32).toString('hex'));
    const client = new SyncClient({
      baseUrl: proxy.url,
      deviceId,
      token: () => Promise.resolve(token),
      outbox: store.outbox,
      roster: store.roster,
      logger: silentLogger,
      batchSize,
      backoff: { baseMs: 20, capMs: 200 },
      requestTimeoutMs: 400,
      intervalMs: 50,
    });
    return { store, client };
  }

  async function hubEventsOf(deviceId: string) {
    return (await allHubEvents(hub)).filter((e) => e.deviceId === deviceId);
  }

  const faults: Array<[string, Fault]> = [
    ['answers dropped after the hub committed', { kind: 'drop-after-commit', probability: 0.5 }],
    ['batches delivered twice', { kind: 'duplicate', probability: 0.5 }],
    ['old batches delivered again after newer ones', { kind: 'reorder' }],
  ];
  for (const [name, fault] of faults) {
    it(`${name}: no duplicates, nothing lost`, async () => {
      const deviceId = `kiosk-${fault.kind}`;
      const { store, client } = await kiosk(deviceId, 50);
      await appendEvents(store, 2000);
      proxy.fault = fault;
      const before = { ...proxy.stats };
      client.start();
      await waitFor(async () => (await store.outbox.backlog()).pending === 0, 60_000, 'drain');
      await client.stop();
      proxy.fault = { kind: 'none' };
      const onHub = await hubEventsOf(deviceId);
      expect(checkExactlyOnce(onHub)).toEqual({ ids: 2000, duplicates: 0, outOfOrder: 0 });
      expect(proxy.stats.dropped + proxy.stats.duplicated + proxy.stats.replayed).toBeGreaterThan(before.dropped + before.duplicated + before.replayed);
      expect((await client.status()).quarantined).toBe(0);
      await store.close();
    });
  }

  it('500, 503 with Retry-After, a hang and a long partition while 100,000 events accumulate: all arrive once', async () => {
    const deviceId = 'kiosk-partition';
    const { store, client } = await kiosk(deviceId, 500);
    await proxy.down();
    client.start();
    await appendEvents(store, 25_000);
    await waitFor(async () => (await client.status()).state === 'offline', 10_000, 'offline state');

    await proxy.up();
    proxy.fault = { kind: 'status', status: 503, retryAfterS: 1 };
    await appendEvents(store, 25_000);
    await waitFor(async () => (await client.status()).state === 'backoff', 10_000, 'backoff state');
    // Retry-After: 1 wins over the 200 ms back-off cap: about one attempt a second, not ten.
    const faultedBefore = proxy.stats.faulted;
    await sleep(2500);
    expect(proxy.stats.faulted - faultedBefore).toBeGreaterThanOrEqual(1);
    expect(proxy.stats.faulted - faultedBefore).toBeLessThanOrEqual(4);

    proxy.fault = { kind: 'status', status: 500 };
    await appendEvents(store, 25_000);
    proxy.fault = { kind: 'hang' };
    await appendEvents(store, 25_000);
    await sleep(1000);
    expect((await store.outbox.backlog()).pending).toBe(100_000);
    expect((await hubEventsOf(deviceId)).length).toBe(0);

    proxy.fault = { kind: 'none' };
    await waitFor(async () => (await store.outbox.backlog()).pending === 0, 180_000, 'drain of 100,000 events');
    await client.stop();
    const onHub = await hubEventsOf(deviceId);
    expect(checkExactlyOnce(onHub)).toEqual({ ids: 100_000, duplicates: 0, outOfOrder: 0 });
    expect((await client.status()).state).toBe('online');
    await store.close();
  }, 300_000);
});
