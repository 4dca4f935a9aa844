// A till (a real kiosk store with the till station) keeps its data from the hub's snapshot, over a
// real socket: it picks up the hub's menu and balances (both files written and read back), keeps
// serving from its last data when the answer is malformed or the hub is away, and, across snapshot
// refreshes, subtracts each of its own charges exactly once: a charge the hub has folded is not
// subtracted again even when the hub's clock is behind the till's (the old asOfMs rule did), and a
// charge pushed but not folded yet is not forgotten even when the hub's clock is ahead (the old rule
// forgot it). Today's meals are counted once for the guardian's daily limit too.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CanteenTill, SnapshotDinerDirectory, SwappableDiners, TillSnapshotSync, loadCanteenContext, type CanteenContext } from '../../../device/canteen/index.js';
import { openCanteenLedger, openCanteenMeals, personAccount, type OpenedMeals } from '../../../hub/canteen/index.js';
import { buildHub, SqliteHubStorage } from '../../../hub/index.js';
import { SyncClient } from '../../../sync/client/index.js';
import type { Store } from '../../../sync/store/index.js';
import { adminCall, openKioskStore, registerDevice, silentLogger, tempDir, TEST_ADMIN_TOKEN } from '../../sync/helpers.js';
import { person } from '../../hub/backends.js';
import { ALL_DAY, card, PAYING_CHILD } from './till-fixtures.js';

const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
const MINUTE = 60_000;
const LUNCH = 95_000;
const TOP_UP = 500_000;
const LIMIT = 1_000_000;
const { offlineAllowanceTiyn: _allowance, ...HUB_MENU } = ALL_DAY;

describe('a till on the hub\'s snapshot', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let storage: SqliteHubStorage;
  let ledger: Awaited<ReturnType<typeof openCanteenLedger>>;
  let meals: OpenedMeals;
  let app: FastifyInstance;
  let url = '';
  /** The hub's clock, set against the till's by each step. */
  let hubSkewMs = 0;
  let store: Store;

  beforeAll(async () => {
    tmp = await tempDir('esik-till-snapshot-');
    const file = join(tmp.dir, 'hub.db');
    storage = await SqliteHubStorage.open(file);
    ledger = await openCanteenLedger(file, silentLogger, { offlineAllowanceTiyn: 50_000 });
    meals = await openCanteenMeals(file, storage, ledger.ledger, silentLogger);
    app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, now: () => Date.now() + hubSkewMs, canteen: { ledger: ledger.ledger, meals: meals.store, settings: meals.settings } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const admin = { url, adminToken: TEST_ADMIN_TOKEN };
    await storage.applyRoster([person(PAYING_CHILD.id, { group: PAYING_CHILD.group })]);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/menu', HUB_MENU)).status).toBe(200);
    expect((await adminCall(admin, 'PUT', `/v1/admin/canteen/guardians/${PAYING_CHILD.id}`, { dailyLimitTiyn: LIMIT, blockedAllergens: ['nuts'] })).status).toBe(200);
    await ledger.ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, Date.now());
    await ledger.ledger.openAccount({ id: personAccount(PAYING_CHILD.id), kind: 'person', personId: PAYING_CHILD.id, floorTiyn: 0 }, Date.now());
    await ledger.ledger.apply({ id: 'topup-1', debitAccountId: 'cash', creditAccountId: personAccount(PAYING_CHILD.id), amountTiyn: TOP_UP, kind: 'top_up', offlineCharge: false, reference: null, note: null }, Date.now());
  });
  afterAll(async () => {
    await store?.close();
    await app?.close();
    await meals?.close();
    await ledger?.close();
    await storage?.close();
    await tmp?.cleanup();
  });

  async function station(): Promise<{ till: CanteenTill; diners: SwappableDiners; sync: TillSnapshotSync; client: SyncClient; menuFile: string; dinersFile: string }> {
    const token = await registerDevice({ url, adminToken: TEST_ADMIN_TOKEN }, 'till-1');
    store = await openKioskStore(join(tmp.dir, 'till-1.db'), 'till-1', randomBytes(32).toString('hex'));
    const menuFile = join(tmp.dir, 'menu.json');
    const dinersFile = join(tmp.dir, 'diners.json');
    // The technician's first files: a menu the hub will change, and nobody's balance.
    await writeFile(menuFile, JSON.stringify({ ...HUB_MENU, menu: HUB_MENU.menu.map((item) => ({ ...item, priceTiyn: item.priceTiyn + 1 })) }));
    await writeFile(dinersFile, JSON.stringify({ asOfMs: 1, diners: {} }));
    const diners = new SwappableDiners(await SnapshotDinerDirectory.load(dinersFile));
    const till = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory: diners, context: await loadCanteenContext(menuFile, 50_000), clock, staleAfterMs: 60 * MINUTE });
    await till.start();
    const fetchSnapshot = async (): Promise<unknown> => (await fetch(`${url}/v1/devices/till-1/canteen/snapshot`, { headers: { authorization: `Bearer ${token}` } })).json();
    const sync = new TillSnapshotSync({ till, diners, menuFile, dinersFile, fetchSnapshot, offlineAllowanceTiyn: 50_000, logger: silentLogger, intervalMs: 60_000 });
    const client = new SyncClient({ baseUrl: url, deviceId: 'till-1', token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger });
    return { till, diners, sync, client, menuFile, dinersFile };
  }

  async function serve(till: CanteenTill): Promise<void> {
    const view = till.present(card(PAYING_CHILD));
    expect(await till.confirm(view.proposalId)).toMatchObject({ status: 'served', view: { decision: { outcome: 'charge', chargeTiyn: LUNCH } } });
  }

  /** What the operator would see for the child now: the balance and the daily limit left. */
  function known(till: CanteenTill): { balance: number | null; limitLeft: number | null } {
    const view = till.present(card(PAYING_CHILD));
    till.cancel(view.proposalId);
    return { balance: view.balanceTiyn, limitLeft: view.dailyLimitLeftTiyn };
  }

  async function refreshAt(sync: TillSnapshotSync, skewMs: number): Promise<void> {
    hubSkewMs = skewMs;
    expect(await sync.refresh()).toBe(true);
  }

  it('picks up the hub\'s data and subtracts each own charge once across refreshes', async () => {
    const { till, sync, client, menuFile, dinersFile, diners } = await station();
    expect(known(till).balance).toBe(0);
    await refreshAt(sync, -10 * MINUTE);
    // The hub's menu and balance, in memory and in both files.
    expect(till.present(card(PAYING_CHILD)).choices.find((item) => item.id === 'lunch-set')?.priceTiyn).toBe(LUNCH);
    expect((await loadCanteenContext(menuFile, 0)).menu.find((item) => item.id === 'lunch-set')?.priceTiyn).toBe(LUNCH);
    expect((await SnapshotDinerDirectory.load(dinersFile)).diner(PAYING_CHILD.id)?.balanceTiyn).toBe(TOP_UP);
    expect(known(till)).toEqual({ balance: TOP_UP, limitLeft: LIMIT });

    // Meal A pushed and folded; the hub's clock is behind the till's, so the snapshot's asOfMs is
    // before meal A: the balance includes it all the same, and the till must not subtract it again.
    await serve(till);
    expect((await client.syncNow()).ok).toBe(true);
    await meals.folder.catchUp();
    await refreshAt(sync, -5 * MINUTE);
    expect(diners.lastChargeEventId()).toBe(till.meals()[0]?.eventId);
    expect(diners.diner(PAYING_CHILD.id)?.balanceTiyn).toBe(TOP_UP - LUNCH);
    expect(known(till)).toEqual({ balance: TOP_UP - LUNCH, limitLeft: LIMIT - LUNCH });

    // Meal B pushed, not folded yet; the hub's clock is ahead: the snapshot's asOfMs is after meal B,
    // whose charge the balance does not hold yet: the till must still subtract it.
    await serve(till);
    expect((await client.syncNow()).ok).toBe(true);
    await refreshAt(sync, 2 * MINUTE);
    expect(diners.diner(PAYING_CHILD.id)?.balanceTiyn).toBe(TOP_UP - LUNCH);
    expect(known(till)).toEqual({ balance: TOP_UP - 2 * LUNCH, limitLeft: LIMIT - 2 * LUNCH });

    // Meal C not even pushed; then B folded; then C pushed and folded: the same answer throughout.
    await serve(till);
    await refreshAt(sync, 3 * MINUTE);
    expect(known(till)).toEqual({ balance: TOP_UP - 3 * LUNCH, limitLeft: LIMIT - 3 * LUNCH });
    await meals.folder.catchUp();
    await refreshAt(sync, 4 * MINUTE);
    expect(diners.lastChargeEventId()).toBe(till.meals()[1]?.eventId);
    expect(known(till)).toEqual({ balance: TOP_UP - 3 * LUNCH, limitLeft: LIMIT - 3 * LUNCH });
    expect((await client.syncNow()).ok).toBe(true);
    await meals.folder.catchUp();
    await refreshAt(sync, 5 * MINUTE);
    expect(diners.diner(PAYING_CHILD.id)?.balanceTiyn).toBe(TOP_UP - 3 * LUNCH);
    expect(known(till)).toEqual({ balance: TOP_UP - 3 * LUNCH, limitLeft: LIMIT - 3 * LUNCH });

    // The same till restarted from its log, on the file the last refresh wrote: still the same.
    const again = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory: await SnapshotDinerDirectory.load(dinersFile), context: ALL_DAY, clock, staleAfterMs: 60 * MINUTE });
    await again.start();
    expect(known(again)).toEqual({ balance: TOP_UP - 3 * LUNCH, limitLeft: LIMIT - 3 * LUNCH });
    // An older snapshot is not taken.
    hubSkewMs = -MINUTE;
    expect(await sync.refresh()).toBe(false);
  }, 60_000);

  it('keeps serving from its last data when the hub answers nonsense or is away, and logs it', async () => {
    const dinersFile = join(tmp.dir, 'kept-diners.json');
    const menuFile = join(tmp.dir, 'kept-menu.json');
    await writeFile(dinersFile, JSON.stringify({ asOfMs: 1, diners: { [PAYING_CHILD.id]: { balanceTiyn: 200_000 } } }));
    await writeFile(menuFile, JSON.stringify(HUB_MENU));
    const diners = new SwappableDiners(await SnapshotDinerDirectory.load(dinersFile));
    const context: CanteenContext = await loadCanteenContext(menuFile, 50_000);
    const till = new CanteenTill({ till: 'till-9', deviceId: 'till-9', events: store.events, directory: diners, context, clock, staleAfterMs: 60 * MINUTE });
    const answers: Array<() => Promise<unknown>> = [
      () => Promise.resolve({ canteen: HUB_MENU, diners: { asOfMs: Date.now(), diners: { [PAYING_CHILD.id]: { balanceTiyn: 1.5 } } } }),
      () => Promise.resolve('<html>captive portal</html>'),
      () => Promise.reject(new Error('connect ECONNREFUSED')),
    ];
    const warn = vi.fn();
    const sync = new TillSnapshotSync({ till, diners, menuFile, dinersFile, fetchSnapshot: () => (answers.shift() ?? (() => Promise.reject(new Error('done'))))(), offlineAllowanceTiyn: 50_000, logger: { info: () => undefined, warn }, intervalMs: 10 });
    await expect(sync.refresh()).rejects.toThrow(/snapshot is invalid: diners\.diners\.p-pay\.balanceTiyn/);
    sync.start();
    await vi.waitFor(() => expect(warn.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await sync.stop();
    const logged = warn.mock.calls.slice(0, 3).map((call) => String((call[0] as { err?: Error }).err?.message));
    expect(logged[0]).toMatch(/snapshot is invalid/);
    expect(logged[1]).toMatch(/ECONNREFUSED/);
    expect(logged[2]).toMatch(/done/);
    expect(sync.status().lastError).toMatch(/done/);
    expect(diners.asOfMs()).toBe(1);
    expect(diners.diner(PAYING_CHILD.id)?.balanceTiyn).toBe(200_000);
    expect((await SnapshotDinerDirectory.load(dinersFile)).asOfMs()).toBe(1);
    const view = till.present(card(PAYING_CHILD));
    expect(view).toMatchObject({ balanceTiyn: 200_000, decision: { outcome: 'charge' } });
  }, 30_000);
});
