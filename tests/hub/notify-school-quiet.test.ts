// The canteen's and library's notices under a guardian's quiet hours and a withdrawn consent, on a
// hub clock of the test's own (school zone UTC): a meal at 22:30 and the low balance it causes are
// held, not dropped, and sent once when the quiet hours end at 07:00; an overdue notice held
// overnight is cancelled, not sent, once the book has been returned meanwhile; a child whose
// notices consent was withdrawn gets nothing planned. SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubStorage } from '../../hub/index.js';
import type { NotifyStore } from '../../hub/notify/index.js';
import { person } from './backends.js';
import { notifyDb, type NotifyDb } from './notify-fixture.js';
import { startEmulator, type Emulator } from './notify-helpers.js';
import { startSchoolHub, type SchoolHub } from './notify-school.js';

const DAY = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const at = (day: number, hh: number, mm: number): number => DAY + day * 86_400_000 + (hh * 60 + mm) * 60_000;
const date = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const CHAT = { quiet: 41, withdrawn: 42 } as const;

describe.each(['sqlite', 'postgres'] as const)('canteen and library notices held and withdrawn (%s)', (backend) => {
  let db: NotifyDb;
  let tg: Emulator;
  let hub: SchoolHub;
  let storage: HubStorage;
  let store: NotifyStore;
  const clock = { now: at(0, 22, 30) };

  beforeAll(async () => {
    db = await notifyDb(backend);
    tg = await startEmulator();
    const opened = await db.open();
    ({ storage, store } = opened);
    await storage.applyRoster([person('kid-q', { name: 'Dana Quiet' }), person('kid-w', { name: 'Erlan Withdrawn' })]);
    hub = await startSchoolHub(opened, tg.apiRoot, { timeZone: 'UTC', overdue: { checkAt: '00:00', intervalMs: 0 } }, { now: () => clock.now });
    const quiet = await hub.link('kid-q', CHAT.quiet, 'en');
    expect(await store.setQuietHours(quiet, { start: '22:00', end: '07:00' })).toBe(true);
    const withdrawn = await hub.link('kid-w', CHAT.withdrawn, 'en');
    await store.withdrawNotices('kid-w', withdrawn, clock.now);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await store?.close();
    await storage?.close();
    await tg?.stop();
    await db?.stop();
  });

  const round = async (ms: number): Promise<void> => {
    clock.now = ms;
    await hub.fold();
    await hub.notifier.runOnce();
  };

  it('holds a meal and its low balance through the night and cancels an overdue notice for a book returned meanwhile', async () => {
    await hub.topUp('kid-q', 50_000);
    const loan = await hub.lend('kid-q', 'B-9', date(at(-2, 12, 0)));
    await hub.meal('kid-q', 20_000); // 500 -> 300 ₸: below 1 000 ₸
    await hub.meal('kid-w', 20_000);
    await round(at(0, 22, 30));
    expect(tg.allSent()).toEqual([]);
    const held = await store.outbox();
    expect(held.map((r) => [r.payload.kind, r.state, r.dueMs]).sort()).toEqual([
      ['low_balance', 'pending', at(1, 7, 0)], ['meal', 'pending', at(1, 7, 0)], ['overdue', 'pending', at(1, 7, 0)],
    ]);
    expect(held.every((r) => r.payload.personId === 'kid-q')).toBe(true); // nothing planned for kid-w

    clock.now = at(0, 23, 0);
    await hub.giveBack('kid-q', 'B-9', loan);
    await round(at(0, 23, 0));
    await round(at(1, 6, 59));
    expect(tg.allSent()).toEqual([]);

    await round(at(1, 7, 1));
    await round(at(1, 7, 5));
    expect(tg.sent(CHAT.quiet).sort()).toEqual([
      'Dana had a meal at 22:30 (lunch): 200 ₸. Balance: 300 ₸.', 'Dana: the canteen balance is 300 ₸, below 1000 ₸. Please top it up.',
    ]);
    expect(tg.sent(CHAT.withdrawn)).toEqual([]);
    const rows = await store.outbox();
    expect(rows.find((r) => r.payload.kind === 'overdue')?.state).toBe('cancelled');
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(2);
  });
});
