// The sync client against a real hub process through the fault proxy: a hub that refuses whole
// batches (the bad event is found by splitting and quarantined, the rest go through), and a hub
// that refuses our token (sync pauses until the token changes). Back-off arithmetic is checked too.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient, fullJitterDelay, parseRetryAfter } from '../../sync/client/index.js';
import { FaultProxy } from './fault-proxy.js';
import { allHubEvents, appendEvents, arrival, openKioskStore, registerDevice, silentLogger, startHubProcess, tempDir, type HubProcess } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sync client', () => {
  let hub: HubProcess;
  let proxy: FaultProxy;
  let tmp: { dir: string; cleanup: () => Promise<void> };

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

  it('full jitter stays within [0, min(cap, base * 2^n)) and Retry-After reads seconds and dates', () => {
    const policy = { baseMs: 1000, capMs: 300_000 };
    expect(fullJitterDelay(0, policy, () => 0.999)).toBeLessThan(1000);
    expect(fullJitterDelay(3, policy, () => 0.5)).toBe(4000);
    expect(fullJitterDelay(40, policy, () => 0.999)).toBeLessThan(300_000);
    expect(fullJitterDelay(40, policy, () => 0)).toBe(0);
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });

  it('a batch refused with 400 is split: the bad event is quarantined, the others and later ones arrive', async () => {
    const token = await registerDevice(hub, 'kiosk-split');
    const store = await openKioskStore(join(tmp.dir, 'split.db'), 'kiosk-split', randomBytes(32).toString('hex'));
    await appendEvents(store, 20);
    const poisoned = await store.events.append({ ...arrival(0), data: { note: 'poison-pill' } });
    await appendEvents(store, 20);
    proxy.fault = { kind: 'reject-containing', marker: 'poison-pill' };
    const client = new SyncClient({ baseUrl: proxy.url, deviceId: 'kiosk-split', token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger, batchSize: 16 });
    const result = await client.syncNow();
    expect(result.ok).toBe(true);
    const status = await client.status();
    expect(status).toMatchObject({ backlog: 0, quarantined: 1 });
    const quarantined = await store.outbox.quarantined(10);
    expect(quarantined.map((q) => q.event.id)).toEqual([poisoned.id]);
    expect(quarantined[0]?.error).toMatch(/400/);
    const onHub = (await allHubEvents(hub)).filter((e) => e.deviceId === 'kiosk-split');
    expect(onHub).toHaveLength(40);
    expect(onHub.some((e) => e.event.id === poisoned.id)).toBe(false);
    await appendEvents(store, 5);
    expect((await client.syncNow()).pushed).toBe(5);
    proxy.fault = { kind: 'none' };
    await store.close();
  });

  it('401: state unauthorized, no retries with the same token, resumes as soon as the token changes', async () => {
    const token = await registerDevice(hub, 'kiosk-auth');
    const store = await openKioskStore(join(tmp.dir, 'auth.db'), 'kiosk-auth', randomBytes(32).toString('hex'));
    await appendEvents(store, 10);
    let current = 'revoked-token-0000000000000000';
    const client = new SyncClient({
      baseUrl: proxy.url, deviceId: 'kiosk-auth', token: () => Promise.resolve(current), outbox: store.outbox, roster: store.roster,
      logger: silentLogger, tokenCheckMs: 50, intervalMs: 50,
    });
    client.start();
    while ((await client.status()).state !== 'unauthorized') await sleep(20);
    const requests = proxy.stats.requests;
    await sleep(600);
    expect(proxy.stats.requests).toBe(requests);
    current = token;
    while ((await client.status()).state !== 'online') await sleep(20);
    await client.stop();
    expect((await client.status()).backlog).toBe(0);
    await store.close();
  });
});
