// The till's configuration and data files: a reader may name the till instead of a door; a till
// named like a door, a misspelt field, or a menu or diners file that does not validate stops the
// kiosk with the field named; relative paths resolve against the config file's folder; the
// snapshot's balance minus the till's own later charges is what the till knows.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CanteenTill, SnapshotDinerDirectory, loadCanteenContext } from '../../../device/canteen/index.js';
import { ConfigError, loadConfig, validateConfig } from '../../../device/config/index.js';
import { openKioskStore } from '../../sync/helpers.js';
import { ALL_DAY, card, diners, PAYING_CHILD } from './till-fixtures.js';

const base = { doors: [{ name: 'main', relay: { driver: 'sim' } }], readers: [{ id: 'till-card', driver: 'sim', door: 'till-1', direction: 'in' }] };
const canteen = { till: 'till-1', menuFile: 'menu.json', dinersFile: 'diners.json' };

function problemsOf(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esik-till-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('till configuration', () => {
  it('lets a reader name the till, and refuses what a till must not be', () => {
    expect(problemsOf({ ...base, canteen })).toEqual([]);
    expect(problemsOf(base)).toEqual(['readers[0].door: no door named "till-1" (doors: main)']);
    expect(problemsOf({ ...base, canteen: { ...canteen, till: 'main' } })).toContain('canteen.till: "main" is also a door\'s name');
    expect(problemsOf({ ...base, canteen: { ...canteen, offlineAllowance: 5 } })[0]).toMatch(/^canteen/);
    expect(problemsOf({ ...base, canteen: { ...canteen, offlineAllowanceTiyn: -1 } })[0]).toMatch(/^canteen\.offlineAllowanceTiyn: /);
    expect(validateConfig({ ...base, canteen }).canteen).toMatchObject({ offlineAllowanceTiyn: 100_000, staleAfterMs: 120_000, pageClients: [] });
  });

  it('resolves the data files and the printer against the config file\'s folder', async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ ...base, canteen: { ...canteen, printer: { path: 'lp0' } } }));
    const { config } = await loadConfig(file, {});
    expect(config.canteen).toMatchObject({ menuFile: join(dir, 'menu.json'), dinersFile: join(dir, 'diners.json'), printer: { path: join(dir, 'lp0'), columns: 42 } });
  });

  it('refuses a menu or a diners file that does not validate, naming the field', async () => {
    const menu = join(dir, 'bad-menu.json');
    await writeFile(menu, JSON.stringify({ periods: ALL_DAY.periods, menu: [{ ...ALL_DAY.menu[0], priceTiyn: 950.5 }] }));
    await expect(loadCanteenContext(menu, 0)).rejects.toThrow(/menu\.0\.priceTiyn/);
    const people = join(dir, 'bad-diners.json');
    await writeFile(people, JSON.stringify({ asOfMs: 0, diners: { 'p-1': { balanceTiyn: '12' } } }));
    await expect(SnapshotDinerDirectory.load(people)).rejects.toThrow(/diners\.p-1\.balanceTiyn/);
  });

  it('knows the snapshot balance minus its own charges made after the snapshot', async () => {
    const file = join(dir, 'diners.json');
    const data = diners(Date.now() - 1000);
    await writeFile(file, JSON.stringify(data));
    const directory = await SnapshotDinerDirectory.load(file);
    const store = await openKioskStore(join(dir, 'till.db'), 'till-1', randomBytes(32).toString('hex'));
    try {
      const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
      const till = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory, context: ALL_DAY, clock, staleAfterMs: 60_000 });
      await till.start();
      const first = till.present(card(PAYING_CHILD));
      expect(first).toMatchObject({ balanceTiyn: 120_000, offline: false });
      expect((await till.confirm(first.proposalId)).status).toBe('served');
      expect(till.present(card(PAYING_CHILD))).toMatchObject({ balanceTiyn: 25_000, dailyLimitLeftTiyn: 55_000 });
      // A newer snapshot that already holds the charge (asOfMs after it): the till does not subtract it twice.
      const payer = data.diners['p-pay'];
      if (payer === undefined) throw new Error('fixture without the paying child');
      const newer = new SnapshotDinerDirectory(new Map([['p-pay', { ...payer, balanceTiyn: 25_000 }]]), Date.now() + 1);
      const fresh = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory: newer, context: ALL_DAY, clock, staleAfterMs: 60_000 });
      await fresh.start();
      expect(fresh.present(card(PAYING_CHILD))).toMatchObject({ balanceTiyn: 25_000 });
      // A register entry that ended shows "paid" and is charged, as the rule decides.
      const expired = new SnapshotDinerDirectory(new Map([['p-pay', { ...payer, freeMeals: [{ category: 'large_family', validFrom: null, validTo: '2020-05-25', periods: ['lunch'] }] }]]), Date.now() + 1);
      const lapsed = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory: expired, context: ALL_DAY, clock, staleAfterMs: 60_000 });
      expect(lapsed.present(card(PAYING_CHILD))).toMatchObject({ entitlement: 'paid', decision: { outcome: 'charge' } });
      const current = new SnapshotDinerDirectory(new Map([['p-pay', { ...payer, freeMeals: [{ category: 'large_family', validFrom: null, validTo: null, periods: ['lunch'] }] }]]), Date.now() + 1);
      const entitled = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory: current, context: ALL_DAY, clock, staleAfterMs: 60_000 });
      expect(entitled.present(card(PAYING_CHILD))).toMatchObject({ entitlement: 'free', decision: { outcome: 'free' } });
      // A camera sees the same pupil frame after frame: one proposal until they are gone 10 s.
      let now = Date.now();
      const frames = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory, context: ALL_DAY, clock: { ...clock, wallMs: () => now }, staleAfterMs: 60_000 });
      const shown = frames.presentFromReader(card(PAYING_CHILD));
      now += 500;
      expect(frames.presentFromReader(card(PAYING_CHILD))).toBeNull();
      now += 9_000;
      expect(frames.presentFromReader(card(PAYING_CHILD))).toBeNull();
      expect(frames.current()?.proposalId).toBe(shown?.proposalId);
      now += 10_001;
      expect(frames.presentFromReader(card(PAYING_CHILD))?.proposalId).not.toBe(shown?.proposalId);
      // A snapshot older than the freshness bound: the till is offline and says so.
      const stale = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory, context: ALL_DAY, clock, staleAfterMs: 1 });
      await stale.start();
      expect(stale.present(card(PAYING_CHILD)).offline).toBe(true);
    } finally {
      await store.close();
    }
  });
});
