// kill -9 of a real kiosk configured as a canteen till (`esik run`, the demo roster) right after the
// operator's page was told "served": after the restart the till's log holds exactly one meal, the
// page's old proposal cannot be confirmed a second time, and once the till has synced to a hub
// (twice, as after a lost answer) and the hub has folded its events, the ledger holds exactly one
// charge for the child and the hub exactly one meal.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { MealFolder, openSqliteLedger, openSqliteMealStore, personAccount, type CanteenLedger, type MealStore } from '../../hub/canteen/index.js';
import { HubDb } from '../../hub/db.js';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import { ALL_DAY, diners } from '../device/canteen/till-fixtures.js';
import { allEvents, daemonDir, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';
import { registerDevice, silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';

const CHILD_CARD = '04A2B91D'; // demo roster: p-1002, a pupil of 5Б
const CHILD = 'p-1002';

let dir: DaemonDir | null = null;
let running: Daemon | null = null;
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  running?.child.kill('SIGKILL');
  for (const close of closers.reverse()) await close();
  await dir?.cleanup();
});

interface Hub {
  url: string;
  storage: SqliteHubStorage;
  ledger: CanteenLedger;
  meals: MealStore;
}

async function startHub(folder: string): Promise<Hub> {
  const file = join(folder, 'hub.db');
  const storage = await SqliteHubStorage.open(file);
  const ledgerDb = await HubDb.open(file);
  const ledger = await openSqliteLedger(ledgerDb, { offlineAllowanceTiyn: 50_000 });
  const meals = await openSqliteMealStore(file);
  const app: FastifyInstance = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN });
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => storage.close(), () => ledgerDb.close(), () => meals.close(), () => app.close());
  const address = app.server.address();
  // The child's parents topped up 2,000 ₸ at the hub.
  await ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, Date.now());
  await ledger.openAccount({ id: personAccount(CHILD), kind: 'person', personId: CHILD, floorTiyn: 0 }, Date.now());
  await ledger.apply({ id: 'topup-1', debitAccountId: 'cash', creditAccountId: personAccount(CHILD), amountTiyn: 200_000, kind: 'top_up', offlineCharge: false, reference: null, note: null }, Date.now());
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, storage, ledger, meals };
}

async function pageUrl(socketPath: string): Promise<string> {
  const status = (await adminRequest(socketPath, 'GET', '/v1/status')) as { canteen?: { page?: string } };
  const page = status.canteen?.page;
  if (typeof page !== 'string') throw new Error('the kiosk is not a till');
  return page;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('kill -9 of a till right after a meal was confirmed', () => {
  it('keeps exactly one meal and, at the hub, exactly one charge', async () => {
    dir = await daemonDir();
    const hub = await startHub(dir.dir);
    const tokenFile = join(dir.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice({ url: hub.url, adminToken: TEST_ADMIN_TOKEN }, 'test-kiosk')}\n`, { mode: 0o600 });
    const data = diners(Date.now());
    await writeFile(join(dir.dir, 'menu.json'), JSON.stringify({ periods: ALL_DAY.periods, menu: ALL_DAY.menu, staffMeals: ALL_DAY.staffMeals }));
    await writeFile(join(dir.dir, 'diners.json'), JSON.stringify({ asOfMs: data.asOfMs, diners: { [CHILD]: { ...data.diners['p-pay'], balanceTiyn: 200_000 } } }));
    const base = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(dir.configFile, JSON.stringify({
      ...base,
      readers: [{ id: 'main-in', driver: 'sim', door: 'main', direction: 'in' }, { id: 'till-card', driver: 'sim', door: 'till-1', direction: 'in' }],
      canteen: { till: 'till-1', menuFile: 'menu.json', dinersFile: 'diners.json', offlineAllowanceTiyn: 50_000 },
      sync: { url: hub.url, tokenFile, intervalMs: 600_000 },
    }));
    // The container has no NTP to ask: the fault suite's clock file says the clock is synchronised.
    const clockFile = join(dir.dir, 'clock.json');
    await writeFile(clockFile, JSON.stringify({ offsetMs: 0, ntpSynced: true }));
    const env = { ESIK_FAKE_CLOCK_FILE: clockFile };
    running = startDaemon(dir.configFile, env);
    await waitForDaemon(dir.socketPath, running);
    const page = await pageUrl(dir.socketPath);

    const proposed = await post(`${page}/api/present`, { card: CHILD_CARD });
    expect(proposed.json.view, JSON.stringify(proposed.json.view)).toMatchObject({ diner: { id: CHILD, group: '5Б' }, entitlement: 'paid', decision: { outcome: 'charge', chargeTiyn: 95_000 } });
    const proposalId = (proposed.json.view as { proposalId: string }).proposalId;
    const served = await post(`${page}/api/confirm`, { proposalId });
    // The answer comes after the meal's event committed: kill right now.
    running.child.kill('SIGKILL');
    expect(await running.exited).toBeNull();
    expect(served.json).toMatchObject({ status: 'served' });

    running = startDaemon(dir.configFile, env);
    await waitForDaemon(dir.socketPath, running);
    const mealEvents = (await allEvents(dir.socketPath)).filter((e) => e.type === 'canteen.meal');
    expect(mealEvents.map((e) => [e.seq, e.personId])).toEqual([[served.json.seq, CHILD]]);
    const meals = (await adminRequest(dir.socketPath, 'GET', '/v1/canteen/meals')) as { meals: Array<{ personId: string; chargeTiyn: number }> };
    expect(meals.meals.map((m) => [m.personId, m.chargeTiyn])).toEqual([[CHILD, 95_000]]);
    // The page of the killed process asks again: that proposal died with it; nothing is served twice.
    const again = await post(`${await pageUrl(dir.socketPath)}/api/confirm`, { proposalId });
    expect(again.status).toBe(409);

    for (let round = 0; round < 2; round += 1) await adminRequest(dir.socketPath, 'POST', '/v1/sync/now');
    await new MealFolder(hub.storage, hub.ledger, hub.meals, silentLogger).catchUp();
    await new MealFolder(hub.storage, hub.ledger, hub.meals, silentLogger).catchUp();
    const statement = await hub.ledger.statement(personAccount(CHILD), 0, 100);
    expect(statement?.entries.map((e) => [e.kind, e.amountTiyn])).toEqual([['top_up', 200_000], ['charge', -95_000]]);
    expect(statement?.account.balanceTiyn).toBe(105_000);
    expect((await hub.meals.meals(CHILD)).map((m) => [m.eventId, m.chargeTiyn])).toEqual([[mealEvents[0]?.id, 95_000]]);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = null;
  }, 120_000);
});
