// A real kiosk (`esik run`, the demo roster) configured as a canteen till and synced to a hub takes
// its data from the hub's snapshot: the technician's first files name an old price and no money;
// after a refresh (the loop's first run, or the admin socket's) the operator's page shows the
// hub's price and the balance the hub's ledger derives from a top-up, both files hold the new data,
// and a meal served then, pushed and folded, is not subtracted twice after the next refresh.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { openCanteenLedger, openCanteenMeals, personAccount } from '../../hub/canteen/index.js';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import { ALL_DAY } from '../device/canteen/till-fixtures.js';
import { daemonDir, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';
import { adminCall, registerDevice, silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';

const CHILD_CARD = '04A2B91D'; // demo roster: p-1002, a pupil of 5Б
const CHILD = 'p-1002';
const { offlineAllowanceTiyn: _allowance, ...HUB_MENU } = ALL_DAY;

let dir: DaemonDir | null = null;
let running: Daemon | null = null;
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  running?.child.kill('SIGKILL');
  for (const close of closers.reverse()) await close();
  await dir?.cleanup();
});

async function present(socketPath: string): Promise<{ balanceTiyn: number; choices: Array<{ id: string; priceTiyn: number }>; proposalId: string }> {
  const status = (await adminRequest(socketPath, 'GET', '/v1/status')) as { canteen?: { page?: string } };
  const response = await fetch(`${status.canteen?.page ?? ''}/api/present`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ card: CHILD_CARD }) });
  return ((await response.json()) as { view: { balanceTiyn: number; choices: Array<{ id: string; priceTiyn: number }>; proposalId: string } }).view;
}

describe('a kiosk configured as a till, synced to a hub', () => {
  it('serves from the hub\'s snapshot and keeps it in its files', async () => {
    dir = await daemonDir();
    const file = join(dir.dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    const ledger = await openCanteenLedger(file, silentLogger, { offlineAllowanceTiyn: 50_000 });
    const meals = await openCanteenMeals(file, storage, ledger.ledger, silentLogger);
    const app: FastifyInstance = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, canteen: { ledger: ledger.ledger, meals: meals.store, settings: meals.settings } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => storage.close(), () => ledger.close(), () => meals.close(), () => app.close());
    const address = app.server.address();
    const hub = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, adminToken: TEST_ADMIN_TOKEN };
    expect((await adminCall(hub, 'PUT', '/v1/admin/canteen/menu', HUB_MENU)).status).toBe(200);
    await ledger.ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, Date.now());
    await ledger.ledger.openAccount({ id: personAccount(CHILD), kind: 'person', personId: CHILD, floorTiyn: 0 }, Date.now());
    await ledger.ledger.apply({ id: 'topup-1', debitAccountId: 'cash', creditAccountId: personAccount(CHILD), amountTiyn: 300_000, kind: 'top_up', offlineCharge: false, reference: null, note: null }, Date.now());

    const tokenFile = join(dir.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice(hub, 'test-kiosk')}\n`, { mode: 0o600 });
    await writeFile(join(dir.dir, 'menu.json'), JSON.stringify({ ...HUB_MENU, menu: HUB_MENU.menu.map((item) => ({ ...item, priceTiyn: item.priceTiyn + 100 })) }));
    await writeFile(join(dir.dir, 'diners.json'), JSON.stringify({ asOfMs: 1, diners: {} }));
    const base = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(dir.configFile, JSON.stringify({
      ...base,
      canteen: { till: 'till-1', menuFile: 'menu.json', dinersFile: 'diners.json', offlineAllowanceTiyn: 50_000, staleAfterMs: 3_600_000, snapshotRefreshMs: 600_000 },
      sync: { url: hub.url, tokenFile, intervalMs: 600_000 },
    }));
    const clockFile = join(dir.dir, 'clock.json');
    await writeFile(clockFile, JSON.stringify({ offsetMs: 0, ntpSynced: true }));
    running = startDaemon(dir.configFile, { ESIK_FAKE_CLOCK_FILE: clockFile });
    await waitForDaemon(dir.socketPath, running);

    // The loop's first run may already have taken it; either way the data are the hub's after this.
    expect(await adminRequest(dir.socketPath, 'POST', '/v1/canteen/snapshot/refresh')).toMatchObject({ lastError: null });
    const view = await present(dir.socketPath);
    expect(view.balanceTiyn).toBe(300_000);
    expect(view.choices.find((item) => item.id === 'lunch-set')?.priceTiyn).toBe(95_000);
    const menuFile = JSON.parse(await readFile(join(dir.dir, 'menu.json'), 'utf8')) as { menu: Array<{ id: string; priceTiyn: number }> };
    expect(menuFile.menu.find((item) => item.id === 'lunch-set')?.priceTiyn).toBe(95_000);
    const dinersFile = JSON.parse(await readFile(join(dir.dir, 'diners.json'), 'utf8')) as { diners: Record<string, { balanceTiyn: number }>; lastChargeEventId: string | null };
    expect(dinersFile).toMatchObject({ lastChargeEventId: null, diners: { [CHILD]: { balanceTiyn: 300_000 } } });

    // A meal, pushed and folded; after the next refresh the balance holds it once.
    const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as { canteen: { page: string } };
    const confirmed = await fetch(`${status.canteen.page}/api/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ proposalId: view.proposalId }) });
    expect(confirmed.status).toBe(200);
    expect((await present(dir.socketPath)).balanceTiyn).toBe(205_000);
    await adminRequest(dir.socketPath, 'POST', '/v1/sync/now');
    await meals.folder.catchUp();
    expect(await adminRequest(dir.socketPath, 'POST', '/v1/canteen/snapshot/refresh')).toMatchObject({ updated: true, lastError: null });
    expect((await present(dir.socketPath)).balanceTiyn).toBe(205_000);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = null;
  }, 120_000);
});
