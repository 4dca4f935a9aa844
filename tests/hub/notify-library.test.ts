// The library's overdue notices (issue 20) from a hub on port 0 with the library's loan fold running,
// through the Telegram emulator: a loan past its due date (school-local day) is one message per
// linked guardian in their language, with the child's first name, the title and the due date, and
// not again however often the check runs or after a restart; a book returned (even in the same push
// as its loan) gives none; an unlinked guardian hears nothing; the weekly reminders' numbering.
// SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubStorage } from '../../hub/index.js';
import { reminderNumber, type NotifyStore } from '../../hub/notify/index.js';
import { person } from './backends.js';
import { notifyDb, type NotifyDb } from './notify-fixture.js';
import { startEmulator, until, type Emulator } from './notify-helpers.js';
import { startSchoolHub, type SchoolHub } from './notify-school.js';

const CHAT = { late: 31, lateKk: 32, returned: 33, gone: 34 } as const;
const ZONE = 'Asia/Almaty';
/** The school-local date `days` from today. */
const day = (days: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(Date.now() + days * 86_400_000);
const dotted = (iso: string): string => iso.split('-').reverse().join('.');
const OVERDUE = { checkAt: '00:00', intervalMs: 200 };

describe('overdue reminders', () => {
  it('numbers the first notice the day after the due date, then one a week, up to the maximum', () => {
    const rules = { repeatDays: 7, maxNotices: 3 };
    expect([0, 1, 7, 8, 14, 15, 21, 22].map((late) => reminderNumber(late, rules))).toEqual([null, 0, 0, 1, 1, 2, 2, null]);
    expect([1, 8, 30].map((late) => reminderNumber(late, { repeatDays: null, maxNotices: 3 }))).toEqual([0, 0, 0]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('overdue book notices (%s)', (backend) => {
  let db: NotifyDb;
  let tg: Emulator;
  let hub: SchoolHub;
  let storage: HubStorage;
  let store: NotifyStore;
  let opened: Awaited<ReturnType<NotifyDb['open']>>;

  beforeAll(async () => {
    db = await notifyDb(backend);
    tg = await startEmulator();
    opened = await db.open();
    ({ storage, store } = opened);
    await storage.applyRoster([
      person('kid-c', { name: 'Дана Ахметова', group: '4Б' }), person('kid-d', { name: 'Ерлан Two' }), person('kid-e', { name: 'Жанна Three' }),
    ]);
    hub = await startSchoolHub(opened, tg.apiRoot, { overdue: OVERDUE });
    await hub.catalogue('B-1', 'Абай жолы');
    await hub.link('kid-c', CHAT.late, 'ru');
    await hub.link('kid-c', CHAT.lateKk, 'kk');
    await hub.link('kid-d', CHAT.returned, 'ru');
    const gone = await hub.link('kid-e', CHAT.gone, 'ru');
    expect((await hub.admin('DELETE', `/v1/admin/notify/guardians/${gone}`)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await store?.close();
    await storage?.close();
    await tg?.stop();
    await db?.stop();
  });

  it('tells an overdue loan once per guardian, never a returned one or an unlinked guardian', async () => {
    const due = day(-2);
    await hub.lend('kid-d', 'B-2', day(-3), true); // returned in the same push as its loan
    await hub.lend('kid-e', 'B-3', day(-3));
    await hub.lend('kid-c', 'B-1', due);
    await hub.lend('kid-c', 'B-4', day(1)); // not due yet
    expect(await tg.waitFor(CHAT.late, 1)).toEqual([`Дана: книгу «Абай жолы» нужно было вернуть в библиотеку до ${dotted(due)}.`]);
    expect(await tg.waitFor(CHAT.lateKk, 1)).toEqual([`Дана кітапханаға «Абай жолы» кітабын ${dotted(due)} дейін қайтаруы керек еді.`]);
    // The check has run again several times meanwhile: nothing new, and nothing for the others.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(tg.sent(CHAT.late)).toHaveLength(1);
    expect(tg.sent(CHAT.lateKk)).toHaveLength(1);
    expect(tg.sent(CHAT.returned)).toEqual([]);
    expect(tg.sent(CHAT.gone)).toEqual([]);
    expect(tg.allSent().some((m) => /Ахметова|4Б/.test(m.text))).toBe(false);
    const rows = await store.outbox();
    expect(rows.map((r) => r.payload.kind)).toEqual(['overdue', 'overdue']);
  });

  it('is not told again after a restart; a book returned later is not told at all', async () => {
    await hub.close();
    hub = await startSchoolHub(opened, tg.apiRoot, { overdue: { ...OVERDUE, checkAt: null } }); // no check while lending
    const loan = await hub.lend('kid-d', 'B-5', day(-1));
    await hub.giveBack('kid-d', 'B-5', loan);
    await until(async () => (await hub.libraryStore.loansOfCopy('B-5'))[0]?.returnedMs !== null, 5_000, 'the return folded');
    await hub.close();
    hub = await startSchoolHub(opened, tg.apiRoot, { overdue: OVERDUE });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(tg.sent(CHAT.late)).toHaveLength(1);
    expect(tg.sent(CHAT.lateKk)).toHaveLength(1);
    expect(tg.sent(CHAT.returned)).toEqual([]);
    expect((await store.outbox()).filter((r) => r.payload.kind === 'overdue')).toHaveLength(2);
  });
});
