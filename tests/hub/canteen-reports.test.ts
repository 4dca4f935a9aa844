// The canteen's reports on both storages, from meals the tills pushed as canteen.meal events and the
// hub folded: the monthly free-meal report (name, class, category, quantity, cost; a double serving
// by two offline tills counted and shown) as JSON, CSV (BOM, formula-safe) and XLSX (read back with
// exceljs), another month and paid meals left out; a day's counts per period; the admin token first.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { openCanteenLedger, openCanteenMeals, type FreeMealReport } from '../../hub/canteen/index.js';
import { buildHub, PgHubStorage, SqliteHubStorage, type HubStorage } from '../../hub/index.js';
import { mealTransferIds, type CanteenMealData } from '../../protocol/index.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';
import { event, items, NOW, person } from './backends.js';

function meal(device: string, seq: number, personId: string, date: string, free: boolean, priceTiyn: number): ReturnType<typeof event> {
  const mealId = randomUUID();
  const ids = mealTransferIds(device, mealId);
  const data: CanteenMealData = {
    mealId, periodId: 'lunch', date, free, freeCategory: free ? 'large_family' : null, chargeTiyn: free ? 0 : priceTiyn, subsidyTiyn: free ? priceTiyn : 0,
    chargeTransferId: ids.charge, subsidyTransferId: ids.subsidy, offline: false, items: [{ itemId: 'set-1', quantity: 1 }],
  };
  return event(seq, { type: 'canteen.meal', personId, door: 'till-1', direction: null, credential: { kind: 'card', ref: 'c' }, data: data as unknown as Record<string, unknown> });
}

describe.each(['sqlite', 'postgres'] as const)('canteen reports: %s', (kind) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function openHub(): Promise<{ url: string; storage: HubStorage; fold: () => Promise<unknown> }> {
    let location: string;
    let storage: HubStorage;
    if (kind === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'esik-canteen-reports-'));
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
    const app: FastifyInstance = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, canteen: { ledger: ledger.ledger, meals: meals.store } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => storage.close(), () => ledger.close(), () => meals.close(), () => app.close());
    const address = app.server.address();
    return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, storage, fold: () => meals.folder.catchUp() };
  }

  it('reports the month\'s free meals per child with their cost, and a day\'s counts per period', async () => {
    const hub = await openHub();
    await hub.storage.applyRoster([person('p-1', { name: 'Әлия Сейтқали', group: '5Б' }), person('p-2', { name: '=HYPERLINK("x")', group: '1А' }), person('p-3', { name: 'Paid Pupil', group: '5Б' })]);
    await hub.storage.ingest('till-1', items(
      meal('till-1', 1, 'p-1', '2026-11-02', true, 95_000), meal('till-1', 2, 'p-1', '2026-11-03', true, 95_000),
      meal('till-1', 3, 'p-2', '2026-11-03', true, 80_050), meal('till-1', 4, 'p-3', '2026-11-03', false, 95_000),
      meal('till-1', 5, 'p-1', '2026-10-30', true, 95_000),
    ), null, null, NOW);
    // Another till, offline, served p-1's lunch of 3 November again: flagged, both counted.
    await hub.storage.ingest('till-2', items(meal('till-2', 1, 'p-1', '2026-11-03', true, 95_000)), null, null, NOW);
    await hub.fold();

    const get = (path: string): Promise<Response> => fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect((await fetch(`${hub.url}/v1/admin/canteen/reports/free-meals?month=2026-11`)).status).toBe(401);
    expect((await get('/v1/admin/canteen/reports/free-meals?month=2026-13')).status).toBe(400);
    const report = (await (await get('/v1/admin/canteen/reports/free-meals?month=2026-11')).json()) as FreeMealReport;
    expect(report.lines.map((l) => [l.group, l.name, l.category, l.meals, l.costTiyn, l.doubleServed])).toEqual([
      ['1А', '=HYPERLINK("x")', 'large_family', 1, 80_050, 0],
      ['5Б', 'Әлия Сейтқали', 'large_family', 3, 285_000, 2],
    ]);
    expect(report.totals).toEqual({ meals: 4, costTiyn: 365_050, doubleServed: 2 });

    const csvBytes = Buffer.from(await (await get('/v1/admin/canteen/reports/free-meals?month=2026-11&format=csv')).arrayBuffer());
    expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the BOM (fetch's text() would hide it)
    const csv = csvBytes.subarray(3).toString('utf8');
    expect(csv.startsWith('class,name,category,free_meals,cost_tenge,cost_tiyn,double_served\r\n')).toBe(true);
    expect(csv).toContain(`1А,"'=HYPERLINK(""x"")",large_family,1,800.50,80050,0`);
    expect(csv).toContain(',total,,4,3650.50,365050,2');

    const xlsx = await get('/v1/admin/canteen/reports/free-meals?month=2026-11&format=xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const rows = (workbook.worksheets[0]?.getSheetValues() ?? []).filter(Boolean) as unknown[][];
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['class', 'name', 'category', 'free_meals', 'cost_tenge', 'cost_tiyn', 'double_served'],
      ['1А', '=HYPERLINK("x")', 'large_family', 1, 800.5, 80_050, 0],
      ['5Б', 'Әлия Сейтқали', 'large_family', 3, 2850, 285_000, 2],
      ['', 'total', '', 4, 3650.5, 365_050, 2],
    ]);

    const day = (await (await get('/v1/admin/canteen/reports/day?day=2026-11-03')).json()) as { periods: unknown[] };
    expect(day.periods).toEqual([{ periodId: 'lunch', free: 3, paid: 1, chargeTiyn: 95_000, subsidyTiyn: 270_050 }]);
  }, 60_000);
});
