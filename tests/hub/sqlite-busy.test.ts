// A hub on SQLite whose write lock another connection holds past the busy timeout (a fold, the
// notifier, under heavy disk load) answers 503 with Retry-After, writes nothing, and takes the same
// request once the lock is free: never a 500.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HubDb } from '../../hub/db.js';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import { adminCall, silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';

describe('a hub on SQLite with its write lock held elsewhere', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answers 503 with Retry-After, then registers once the lock is free', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esik-hub-busy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    const app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => storage.close(), () => app.close());
    const address = app.server.address();
    const hub = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, adminToken: TEST_ADMIN_TOKEN };

    const holder = await HubDb.open(file);
    cleanups.push(() => holder.close());
    await holder.exec('BEGIN IMMEDIATE');
    const busy = await fetch(`${hub.url}/v1/admin/devices`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'kiosk-busy' }) });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toMatchObject({ error: 'unavailable' });
    await holder.exec('ROLLBACK');
    expect(await storage.device('kiosk-busy')).toBeNull();
    expect((await adminCall(hub, 'POST', '/v1/admin/devices', { id: 'kiosk-busy' })).status).toBe(201);
  }, 30_000);
});
