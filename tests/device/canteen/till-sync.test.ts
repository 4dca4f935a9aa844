// Two canteen tills, each a real kiosk store (SQLite) with the till station, serve the same child's
// free lunch while neither has synced (each refuses a second free lunch itself); a paying child is
// charged at one of them. Their sync clients push through the hub's HTTP API, the hub's meal fold
// posts the tills' transfers to the ledger and flags the double free meal: both meals kept and
// marked, one flag naming both events (also on the admin API), the ledger balanced. Folding the same events again (a fresh
// fold cursor, as after a lost fold table) posts nothing twice: the transfer ids are the tills'.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CanteenTill } from '../../../device/canteen/index.js';
import { buildHub, SqliteHubStorage } from '../../../hub/index.js';
import { HubDb } from '../../../hub/db.js';
import { MealFolder, openSqliteLedger, openSqliteMealStore, personAccount, type CanteenLedger, type MealStore } from '../../../hub/canteen/index.js';
import { SyncClient } from '../../../sync/client/index.js';
import type { Store } from '../../../sync/store/index.js';
import { adminCall, allHubEvents, openKioskStore, registerDevice, silentLogger, tempDir, TEST_ADMIN_TOKEN } from '../../sync/helpers.js';
import { ALL_DAY, card, directoryOf, diners, FREE_CHILD, PAYING_CHILD } from './till-fixtures.js';

const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };

async function sumOfAccounts(ledger: CanteenLedger): Promise<number> {
  return (await ledger.accounts('', 1000)).reduce((sum, account) => sum + account.balanceTiyn, 0);
}

describe('two tills offline, then synced', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let storage: SqliteHubStorage;
  let ledgerDb: HubDb;
  let ledger: CanteenLedger;
  let meals: MealStore;
  let app: FastifyInstance;
  let url = '';
  const stores: Store[] = [];

  beforeAll(async () => {
    tmp = await tempDir('esik-tills-');
    const file = join(tmp.dir, 'hub.db');
    storage = await SqliteHubStorage.open(file);
    ledgerDb = await HubDb.open(file);
    ledger = await openSqliteLedger(ledgerDb, { offlineAllowanceTiyn: 50_000 });
    meals = await openSqliteMealStore(file);
    app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, canteen: { ledger, meals } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // The paying child's parents topped up 1,200 ₸ at the hub.
    await ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, Date.now());
    await ledger.openAccount({ id: personAccount('p-pay'), kind: 'person', personId: 'p-pay', floorTiyn: 0 }, Date.now());
    await ledger.apply({ id: 'topup-1', debitAccountId: 'cash', creditAccountId: personAccount('p-pay'), amountTiyn: 120_000, kind: 'top_up', offlineCharge: false, reference: null, note: null }, Date.now());
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await app?.close();
    await meals?.close();
    await ledgerDb?.close();
    await storage?.close();
    await tmp?.cleanup();
  });

  async function till(name: string): Promise<{ store: Store; till: CanteenTill; client: SyncClient }> {
    const token = await registerDevice({ url, adminToken: TEST_ADMIN_TOKEN }, name);
    const store = await openKioskStore(join(tmp.dir, `${name}.db`), name, randomBytes(32).toString('hex'));
    stores.push(store);
    const station = new CanteenTill({ till: name, deviceId: name, events: store.events, directory: directoryOf(diners(Date.now() - 1000)), context: ALL_DAY, clock, staleAfterMs: 60_000 });
    await station.start();
    const client = new SyncClient({ baseUrl: url, deviceId: name, token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger });
    return { store, till: station, client };
  }

  async function serve(station: CanteenTill, presentation: ReturnType<typeof card>) {
    const view = station.present(presentation);
    return station.confirm(view.proposalId);
  }

  it('flags the free lunch both tills served, keeps both meals and the ledger balanced', async () => {
    const a = await till('till-a');
    const b = await till('till-b');
    const freeAtA = await serve(a.till, card(FREE_CHILD));
    expect(freeAtA).toMatchObject({ status: 'served', view: { entitlement: 'free', decision: { outcome: 'free', subsidyTiyn: 95_000, chargeTiyn: 0 } } });
    // The same till refuses a second free lunch in the period: it knows its own meals.
    expect(await serve(a.till, card(FREE_CHILD))).toMatchObject({ status: 'refused', view: { decision: { outcome: 'refuse', reason: 'already_served_free' } } });
    const paid = await serve(a.till, card(PAYING_CHILD));
    expect(paid).toMatchObject({ status: 'served', view: { entitlement: 'paid', balanceTiyn: 120_000, dailyLimitLeftTiyn: 150_000, decision: { outcome: 'charge', chargeTiyn: 95_000 } } });
    // Till B has not heard of till A's meal: it serves the same free lunch.
    const freeAtB = await serve(b.till, card(FREE_CHILD));
    expect(freeAtB.status).toBe('served');
    // After a restart till A still knows what it served (from its log) and what the child has left.
    const restarted = new CanteenTill({ till: 'till-a', deviceId: 'till-a', events: a.store.events, directory: directoryOf(diners(Date.now() - 1000)), context: ALL_DAY, clock, staleAfterMs: 60_000 });
    await restarted.start();
    expect(restarted.meals().map((m) => [m.personId, m.free, m.chargeTiyn])).toEqual([['p-free', true, 0], ['p-pay', false, 95_000]]);
    expect(restarted.present(card(PAYING_CHILD))).toMatchObject({ balanceTiyn: 25_000, dailyLimitLeftTiyn: 55_000, decision: { outcome: 'refuse', reason: 'daily_limit' } });

    for (let round = 0; round < 2; round += 1) {
      expect((await a.client.syncNow()).ok).toBe(true);
      expect((await b.client.syncNow()).ok).toBe(true);
    }
    const mealEvents = (await allHubEvents({ url, adminToken: TEST_ADMIN_TOKEN })).filter((e) => (e.event as { type?: string }).type === 'canteen.meal');
    expect(mealEvents).toHaveLength(3);

    await new MealFolder(storage, ledger, meals, silentLogger).catchUp();
    const ids = [freeAtA, freeAtB].map((r) => (r.status === 'served' ? r.event.id : ''));
    const flags = await meals.flags(0, 10);
    expect(flags.map((f) => f.kind)).toEqual(['double_free_meal']);
    expect(new Set([flags[0]?.eventId, flags[0]?.otherEventId])).toEqual(new Set(ids));
    expect((await meals.meals('p-free')).map((m) => [m.free, m.conflict]).sort()).toEqual([[true, true], [true, true]]);
    // The canteen manager reads the same flag over the hub's admin API.
    const listed = await adminCall({ url, adminToken: TEST_ADMIN_TOKEN }, 'GET', '/v1/admin/canteen/meal-flags');
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ flags: [{ kind: 'double_free_meal', detail: { personId: 'p-free', devices: expect.arrayContaining(['till-a', 'till-b']) as unknown } }], more: false });
    expect((await fetch(`${url}/v1/admin/canteen/meal-flags`)).status).toBe(401);
    expect((await meals.meals('p-pay')).map((m) => [m.chargeTiyn, m.conflict])).toEqual([[95_000, false]]);

    const balances = async () => Object.fromEntries((await ledger.accounts('', 100)).map((acc) => [acc.id, acc.balanceTiyn]));
    const before = await balances();
    expect(before).toEqual({ cash: -120_000, [personAccount('p-pay')]: 25_000, revenue: 3 * 95_000, subsidy: -2 * 95_000 });
    expect(await sumOfAccounts(ledger)).toBe(0);

    // The same events folded again from a fresh cursor: every transfer is a duplicate, nothing moves.
    const fresh = await openSqliteMealStore(join(tmp.dir, 'refold.db'));
    try {
      await new MealFolder(storage, ledger, fresh, silentLogger).catchUp();
      expect(await balances()).toEqual(before);
      expect((await ledger.statement(personAccount('p-pay'), 0, 100))?.entries).toHaveLength(2);
    } finally {
      await fresh.close();
    }
  }, 30_000);
});
