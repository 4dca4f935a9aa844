// The canteen's and library's notices from a real hub process (hub/main.ts, SQLite) configured from its
// environment, as a school runs it: the process folds a till's meal into the ledger and a desk's loan
// into the library, and its notifier (given both by main.ts) sends the meal, the low balance it
// caused and the overdue loan to the guardian's Telegram chat (the emulator), each once, also after
// the process is stopped and started again.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCanteenLedger, personAccount } from '../../hub/canteen/index.js';
import { SqliteHubStorage } from '../../hub/index.js';
import { GuardianLinks, localTime, SqliteNotifyStore } from '../../hub/notify/index.js';
import { silentLogger, startHubProcess, tempDir, type HubProcess } from '../sync/helpers.js';
import { person } from './backends.js';
import { BOT_TOKEN, startEmulator, type Emulator } from './notify-helpers.js';
import { mealData, wireEvent } from './notify-school.js';

const CHAT = 61;
const ENV = {
  ESIK_HUB_TELEGRAM_TOKEN: BOT_TOKEN, ESIK_HUB_CANTEEN_FOLD_MS: '100', ESIK_HUB_LIBRARY_FOLD_MS: '100', ESIK_HUB_OVERDUE_AT: '00:00', ESIK_HUB_LOW_BALANCE_TIYN: '100000',
};

describe('canteen and library notices from a real hub process (SQLite)', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let tg: Emulator;
  let hub: HubProcess | null = null;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    dir = await tempDir('esik-notify-school-');
    tg = await startEmulator();
    // The process takes its configuration from the environment; this worker's copy is restored after.
    for (const [name, value] of Object.entries({ ...ENV, ESIK_HUB_TELEGRAM_API_ROOT: tg.apiRoot, ESIK_TEST_HUB_STORAGE: undefined })) {
      saved.set(name, process.env[name]);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  afterAll(async () => {
    await hub?.stop();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await tg?.stop();
    await dir?.cleanup();
  });

  it('folds, plans and sends the meal, the low balance and the overdue loan once each', async () => {
    const file = join(dir.dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    const store = await SqliteNotifyStore.open(file);
    await storage.applyRoster([person('kid-p', { name: 'Aru Processova', group: '2В' })]);
    const made = await new GuardianLinks(store, storage).addGuardian('kid-p', 'en');
    if (!made) throw new Error('no guardian');
    expect((await new GuardianLinks(store, storage).redeem(String(CHAT), made.code)).ok).toBe(true);
    const canteen = await openCanteenLedger(file, silentLogger, { offlineAllowanceTiyn: 0 });
    await canteen.ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, Date.now());
    await canteen.ledger.openAccount({ id: personAccount('kid-p'), kind: 'person', personId: 'kid-p', floorTiyn: 0 }, Date.now());
    await canteen.ledger.apply({ id: 'topup-1', debitAccountId: 'cash', creditAccountId: personAccount('kid-p'), amountTiyn: 150_000, kind: 'top_up', offlineCharge: false, reference: null, note: null }, Date.now());
    await canteen.close();
    const now = Date.now();
    await storage.ingest('till-1', [{ event: wireEvent(now, 1, 'canteen.meal', 'kid-p', 'till-1', mealData(now, 70_000, false)) }], null, null, now);
    const overdueOn = new Date(now - 3 * 86_400_000).toISOString().slice(0, 10);
    await storage.ingest('desk-1', [{ event: wireEvent(now, 1, 'library.loan', 'kid-p', 'library', { copyId: 'B-1', titleId: null, dueDate: overdueOn, renewals: 0, loanEventId: null }) }], null, null, now);
    await store.close();
    await storage.close();

    hub = await startHubProcess(file);
    const expected = [
      `Aru had a meal at ${localTime(new Date(now).toISOString(), 'Asia/Almaty')} (lunch): 700 ₸. Balance: 800 ₸.`,
      'Aru: the canteen balance is 800 ₸, below 1000 ₸. Please top it up.',
      `Aru: a library book was due back by ${overdueOn}.`,
    ].sort();
    expect((await tg.waitFor(CHAT, 3, 20_000)).sort()).toEqual(expected);
    await hub.stop();
    hub = await startHubProcess(file);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(tg.sent(CHAT).sort()).toEqual(expected);
  }, 90_000);
});
