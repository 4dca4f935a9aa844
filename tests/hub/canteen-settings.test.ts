// The canteen's settings and the tills' snapshot on both storages, over real sockets: the menu
// (validated, clear 400s), a child's guardian settings, the free-meal register's CSV import (every
// bad line reported, nothing written unless skip_bad=1; an ИИН found through the console's people),
// and the snapshot a till gets with its own token: balances derived from the ledger after a top-up
// and two folded meals, today's meals by event, and the asking till's last charge the balances hold.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { openCanteenLedger, openCanteenMeals, parseRegisterCsv, personAccount, type CanteenLedger } from '../../hub/canteen/index.js';
import { makeIin, peopleStoreFor } from '../../hub/console/index.js';
import { buildHub, PgHubStorage, SqliteHubStorage, type HubStorage } from '../../hub/index.js';
import { canteenSnapshotSchema, mealTransferIds, type CanteenFile, type CanteenMealData } from '../../protocol/index.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { adminCall, registerDevice, silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';
import { event, items, NOW, person } from './backends.js';

const TODAY = '2026-09-01'; // NOW on school-local time (UTC+5)
const MENU: CanteenFile = {
  periods: [{ id: 'lunch', kind: 'lunch', from: '12:00', to: '14:00', groups: ['*'], staff: true }],
  menu: [{ id: 'set-1', name: 'Бесбармак', kind: 'set', priceTiyn: 60_000, allergens: ['gluten'], periods: ['lunch'], freeEligible: true }],
  staffMeals: 'paid',
};

function meal(device: string, seq: number, personId: string, chargeTiyn: number): ReturnType<typeof event> {
  const mealId = randomUUID();
  const ids = mealTransferIds(device, mealId);
  const data: CanteenMealData = {
    mealId, periodId: 'lunch', date: TODAY, free: false, freeCategory: null, chargeTiyn, subsidyTiyn: 0,
    chargeTransferId: ids.charge, subsidyTransferId: ids.subsidy, offline: false, items: [{ itemId: 'set-1', quantity: 1 }],
  };
  return event(seq, { type: 'canteen.meal', personId, door: device, direction: null, credential: { kind: 'card', ref: 'c' }, data: data as unknown as Record<string, unknown> });
}

describe('free-meal register CSV', () => {
  it('counts lines inside quoted fields and names the header\'s problems', () => {
    const { rows, errors } = parseRegisterCsv('\uFEFFcategory,person_id,periods\n"large\nfamily",p-1,lunch\nlarge_family,p-2," Lunch ; SNACK "\n');
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/^category "large\nfamily"/) as unknown }]);
    expect(rows).toEqual([{ line: 4, personId: 'p-2', iin: null, category: 'large_family', validFrom: null, validTo: null, periods: ['lunch', 'snack'] }]);
    expect(parseRegisterCsv('category,periods\nx,lunch\n').errors).toEqual([{ line: 1, message: 'the header needs a "person_id" or an "iin" column' }]);
    expect(parseRegisterCsv('person_id,category,colour\n').errors).toEqual([{ line: 1, message: 'unknown columns: colour' }]);
    expect(parseRegisterCsv('person_id,category\np-1,"open\n').errors).toEqual([{ line: 2, message: 'a quoted field is never closed' }]);
    expect(parseRegisterCsv('person_id,category,valid_from,valid_to\np-1,x,2026-09-02,2026-09-01\n').errors[0]?.message).toMatch(/after valid_to/);
  });
});

describe.each(['sqlite', 'postgres'] as const)('canteen settings and snapshot: %s', (kind) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function openHub(): Promise<{ url: string; storage: HubStorage; ledger: CanteenLedger; fold: () => Promise<unknown> }> {
    let location: string;
    let storage: HubStorage;
    if (kind === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'esik-canteen-settings-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      location = join(dir, 'hub.db');
      storage = await SqliteHubStorage.open(location);
    } else {
      const server: TempPostgres = await startPostgres();
      cleanups.push(() => server.stop());
      location = await server.createDatabase();
      storage = await PgHubStorage.open(location, silentLogger);
    }
    const ledger = await openCanteenLedger(location, silentLogger, { offlineAllowanceTiyn: 50_000 });
    const meals = await openCanteenMeals(location, storage, ledger.ledger, silentLogger);
    const app: FastifyInstance = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, now: () => NOW, canteen: { ledger: ledger.ledger, meals: meals.store, settings: meals.settings } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => storage.close(), () => ledger.close(), () => meals.close(), () => app.close());
    const address = app.server.address();
    return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, storage, ledger: ledger.ledger, fold: () => meals.folder.catchUp() };
  }

  async function importCsv(url: string, csv: string, query = ''): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${url}/v1/admin/canteen/free-meals/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: csv });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('keeps the menu and guardians\' settings, and imports the register only from a clean file unless told to skip', async () => {
    const hub = await openHub();
    const admin = { url: hub.url, adminToken: TEST_ADMIN_TOKEN };
    await hub.storage.applyRoster([person('p-1'), person('p-2'), person('p-3')]);
    const iin = makeIin('2015-03-04', 'female', 1) ?? '';
    const strangerIin = makeIin('2014-02-03', 'male', 2) ?? '';
    const people = await peopleStoreFor(hub.storage);
    await people.migrate();
    await people.save([{ personId: 'p-2', iin, surname: 'Сейтқали', givenName: 'Әлия', patronymic: null, birthDate: '2015-03-04' }], [], [], false, NOW);

    expect((await adminCall(admin, 'GET', '/v1/admin/canteen/menu')).status).toBe(404);
    const badMenu = await adminCall(admin, 'PUT', '/v1/admin/canteen/menu', { ...MENU, menu: [{ ...MENU.menu[0], priceTiyn: 1.5 }] });
    expect(badMenu.status).toBe(400);
    expect(String(badMenu.json.message)).toMatch(/menu\.0\.priceTiyn/);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/menu', { ...MENU, periods: [{ ...MENU.periods[0], from: '25:00' }] })).status).toBe(400);
    expect((await fetch(`${hub.url}/v1/admin/canteen/menu`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(MENU) })).status).toBe(401);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/menu', MENU)).status).toBe(200);
    expect((await adminCall(admin, 'GET', '/v1/admin/canteen/menu')).json).toEqual({ menu: MENU });

    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/guardians/p-404', { dailyLimitTiyn: 100_000, blockedAllergens: [] })).status).toBe(404);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/guardians/p-1', { dailyLimitTiyn: -1, blockedAllergens: [] })).status).toBe(400);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/guardians/p-1', { dailyLimitTiyn: 150_000, blockedAllergens: ['nuts'] })).status).toBe(200);
    expect((await adminCall(admin, 'GET', '/v1/admin/canteen/guardians/p-1')).json).toEqual({ personId: 'p-1', settings: { dailyLimitTiyn: 150_000, blockedAllergens: ['nuts'] } });

    const csv = [
      'person_id,iin,category,valid_from,valid_to,periods', // 1
      'p-1,,large_family,2026-09-01,2027-05-31,lunch', // 2: fine
      `,${iin},grade_1_4,,,breakfast;lunch`, // 3: fine, through the ИИН
      'p-3,,bad category!,,,lunch', // 4
      'p-3,,orphan,2026-13-01,,lunch', // 5
      'p-404,,orphan,,,lunch', // 6: not in the roster
      `,${strangerIin},orphan,,,`, // 7: an ИИН nobody has
      ',123456789012,orphan,,,', // 8: not an ИИН
      'p-1,,large_family,,,*', // 9: twice
      'p-3,,disabled,,,dinner', // 10
      '"p-3",,grade_1_4', // 11: field count
    ].join('\r\n');
    const refused = await importCsv(hub.url, csv);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ imported: false, rows: 10, entries: 0, errorCount: 8 });
    const errors = refused.json.errors as Array<{ line: number; message: string }>;
    expect(errors.map((e) => e.line)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(errors[0]?.message).toMatch(/category/);
    expect(errors[1]?.message).toMatch(/valid_from "2026-13-01"/);
    expect(errors[2]?.message).toMatch(/no person p-404/);
    expect(errors[3]?.message).toMatch(/no person with this iin/);
    expect(errors[5]?.message).toMatch(/already on line 2/);
    expect(errors[6]?.message).toMatch(/dinner/);
    expect((await adminCall(admin, 'GET', '/v1/admin/canteen/free-meals')).json).toEqual({ entries: [], skipped: 0 });

    const skipped = await importCsv(hub.url, csv, '?skip_bad=1');
    expect(skipped.status).toBe(200);
    expect(skipped.json).toMatchObject({ imported: true, entries: 2, errorCount: 8 });
    expect((await adminCall(admin, 'GET', '/v1/admin/canteen/free-meals')).json).toEqual({
      skipped: 0,
      entries: [
        { personId: 'p-1', category: 'large_family', validFrom: '2026-09-01', validTo: '2027-05-31', periods: ['lunch'] },
        { personId: 'p-2', category: 'grade_1_4', validFrom: null, validTo: null, periods: ['breakfast', 'lunch'] },
      ],
    });
    // A dry run writes nothing; replace=1 makes the file the whole register.
    expect((await importCsv(hub.url, 'person_id,category\np-3,orphan\n', '?dry_run=1')).json).toMatchObject({ imported: false, entries: 0, errors: [] });
    expect(((await adminCall(admin, 'GET', '/v1/admin/canteen/free-meals?person=p-3')).json as { entries: unknown[] }).entries).toEqual([]);
    expect((await importCsv(hub.url, 'person_id,category\np-3,orphan\n', '?replace=1')).json).toMatchObject({ imported: true, entries: 1 });
    expect((await adminCall(admin, 'GET', '/v1/admin/canteen/free-meals')).json).toEqual({ skipped: 0, entries: [{ personId: 'p-3', category: 'orphan', validFrom: null, validTo: null, periods: ['*'] }] });
  }, 60_000);

  it('gives each till the snapshot its files take: ledger balances, today\'s meals, its own last charge included', async () => {
    const hub = await openHub();
    const admin = { url: hub.url, adminToken: TEST_ADMIN_TOKEN };
    const tokens = { 'till-1': await registerDevice(admin, 'till-1'), 'till-2': await registerDevice(admin, 'till-2'), 'till-3': await registerDevice(admin, 'till-3') };
    const snapshot = (device: keyof typeof tokens) => fetch(`${hub.url}/v1/devices/${device}/canteen/snapshot`, { headers: { authorization: `Bearer ${tokens[device]}` } });
    expect((await snapshot('till-1')).status).toBe(409);
    await hub.storage.applyRoster([person('p-1'), person('p-2')]);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/menu', MENU)).status).toBe(200);
    expect((await adminCall(admin, 'PUT', '/v1/admin/canteen/guardians/p-1', { dailyLimitTiyn: 150_000, blockedAllergens: ['nuts'] })).status).toBe(200);
    expect((await importCsv(hub.url, 'person_id,category,periods\np-2,large_family,lunch\n')).status).toBe(200);
    // p-1's parents top up 2,000 ₸; p-1 then eats at till-1 (600 ₸) and at till-2 (400 ₸).
    await hub.ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, NOW);
    await hub.ledger.openAccount({ id: personAccount('p-1'), kind: 'person', personId: 'p-1', floorTiyn: 0 }, NOW);
    await hub.ledger.apply({ id: 'topup-1', debitAccountId: 'cash', creditAccountId: personAccount('p-1'), amountTiyn: 200_000, kind: 'top_up', offlineCharge: false, reference: null, note: null }, NOW);
    // An account the ledger allows but a till's file could not hold (an id past 64 characters) is left out, not fatal.
    await hub.ledger.openAccount({ id: `person:${'x'.repeat(90)}`, kind: 'person', personId: 'x'.repeat(90), floorTiyn: 0 }, NOW);
    const atOne = meal('till-1', 1, 'p-1', 60_000);
    const atTwo = meal('till-2', 1, 'p-1', 40_000);
    await hub.storage.ingest('till-1', items(atOne), null, null, NOW);
    await hub.storage.ingest('till-2', items(atTwo), null, null, NOW);
    await hub.fold();

    const answer = await snapshot('till-1');
    expect(answer.status).toBe(200);
    const body = canteenSnapshotSchema.parse(await answer.json());
    expect(body.canteen).toEqual(MENU);
    expect(body.diners.asOfMs).toBe(NOW);
    expect(body.diners.lastChargeEventId).toBe(atOne.id);
    expect(body.diners.diners['p-1']).toEqual({
      freeMeals: [], guardian: { dailyLimitTiyn: 150_000, blockedAllergens: ['nuts'] }, balanceTiyn: 100_000, floorTiyn: 0,
      served: expect.arrayContaining([
        { date: TODAY, periodId: 'lunch', free: false, chargeTiyn: 60_000, eventId: atOne.id },
        { date: TODAY, periodId: 'lunch', free: false, chargeTiyn: 40_000, eventId: atTwo.id },
      ]) as unknown,
    });
    expect(body.diners.diners['p-1']?.served).toHaveLength(2);
    expect(Object.keys(body.diners.diners).sort()).toEqual(['p-1', 'p-2']);
    expect(body.diners.diners['p-2']).toEqual({ freeMeals: [{ category: 'large_family', validFrom: null, validTo: null, periods: ['lunch'] }], guardian: null, balanceTiyn: 0, floorTiyn: 0, served: [] });
    // Each till is told how far its own charges are in the balances; a till with none is told so.
    expect(canteenSnapshotSchema.parse(await (await snapshot('till-2')).json()).diners.lastChargeEventId).toBe(atTwo.id);
    expect(canteenSnapshotSchema.parse(await (await snapshot('till-3')).json()).diners.lastChargeEventId).toBeNull();
    // Only with the device's own token.
    expect((await fetch(`${hub.url}/v1/devices/till-1/canteen/snapshot`, { headers: { authorization: `Bearer ${tokens['till-2']}` } })).status).toBe(401);
  }, 60_000);
});
