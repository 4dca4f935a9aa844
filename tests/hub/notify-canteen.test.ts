// The canteen's notices (issue 19) from a hub on port 0 with the canteen's fold running, through the
// Telegram emulator, on PostgreSQL with a second notifier over the same database racing the first (a
// second hub process): each folded meal is one message per linked guardian in the guardian's language (first
// name, time, period, the charge or "free", the balance after); a balance falling below the threshold
// is one more message, not repeated by later meals while it stays low, and again after a top-up has
// lifted it and a meal takes it below once more; an unlinked guardian hears nothing; a guardian's
// signed webhook carries the notice's detail (tiyn, period). A restarted notifier sends nothing
// again. SQLite and PostgreSQL.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubStorage } from '../../hub/index.js';
import { localTime, lowCrossings, newWebhookSecret, tengeText, type NotifyStore } from '../../hub/notify/index.js';
import { person } from './backends.js';
import { notifyDb, type NotifyDb } from './notify-fixture.js';
import { startEmulator, until, type Emulator } from './notify-helpers.js';
import { startSchoolHub, type SchoolHub } from './notify-school.js';

const CHAT = { mother: 21, father: 22, gone: 23 } as const;

describe('low-balance crossings', () => {
  it('writes tenge from integer tiyn without float arithmetic', () => {
    expect([95_000, 95_050, 5, 0, -2_000, -150, 123_456_789].map(tengeText)).toEqual(['950 ₸', '950.50 ₸', '0.05 ₸', '0 ₸', '-20 ₸', '-1.50 ₸', '1234567.89 ₸']);
  });

  it('counts a fall below the threshold once, and again only after the balance was lifted', () => {
    const entry = (amountTiyn: number, balanceAfterTiyn: number, transferId: string) => ({ amountTiyn, balanceAfterTiyn, transferId, reference: null });
    const crossings = lowCrossings([
      entry(150_000, 150_000, 'top-1'), entry(-60_000, 90_000, 'meal-1'), entry(-60_000, 30_000, 'meal-2'), entry(20_000, 50_000, 'top-2'),
      entry(-40_000, 10_000, 'meal-3'), entry(200_000, 210_000, 'top-3'), entry(-110_000, 100_000, 'meal-4'), entry(-1, 99_999, 'meal-5'),
    ], 100_000);
    expect(crossings.map((c) => c.transferId)).toEqual(['meal-1', 'meal-5']);
    // A first meal on credit from an empty account is a fall too.
    expect(lowCrossings([entry(-50_000, -50_000, 'meal-0')], 100_000).map((c) => c.transferId)).toEqual(['meal-0']);
  });
});

describe.each(['sqlite', 'postgres'] as const)('canteen notices (%s)', (backend) => {
  let db: NotifyDb;
  let tg: Emulator;
  let hub: SchoolHub;
  let storage: HubStorage;
  let store: NotifyStore;
  let opened: Awaited<ReturnType<NotifyDb['open']>>;
  let receiver: Server;
  const hooks: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
  const secret = newWebhookSecret();
  const time = (): string => localTime(new Date().toISOString(), 'Asia/Almaty');

  beforeAll(async () => {
    db = await notifyDb(backend);
    tg = await startEmulator();
    opened = await db.open();
    ({ storage, store } = opened);
    await storage.applyRoster([person('kid-a', { name: 'Асель Нурланова', group: '3А' }), person('kid-b', { name: 'Bolat Two' })]);
    hub = await startSchoolHub(opened, tg.apiRoot, {}, { twin: backend === 'postgres' });
    await hub.link('kid-a', CHAT.mother, 'ru');
    await hub.link('kid-a', CHAT.father, 'kk');
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        hooks.push({ body, headers: request.headers });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const diary = await hub.notifier.links.addGuardian('kid-a', 'kk');
    if (!diary) throw new Error('no guardian');
    expect(await store.setWebhook(diary.guardianId, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret)).toBe(true);
    const gone = await hub.link('kid-b', CHAT.gone, 'ru');
    expect((await hub.admin('DELETE', `/v1/admin/notify/guardians/${gone}`)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await store?.close();
    await storage?.close();
    await tg?.stop();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await db?.stop();
  });

  /** Waits until each of kid-a's chats has `count` messages, then for the outbox to be settled, and returns the mother's. */
  const settle = async (count: number): Promise<string[]> => {
    await tg.waitFor(CHAT.mother, count);
    await tg.waitFor(CHAT.father, count);
    const unsettled = async (): Promise<string[]> =>
      (await store.outbox()).filter((row) => row.state !== 'sent' && row.state !== 'cancelled').map((row) => `${row.key} ${row.state} ${row.attempts} ${row.lastError ?? ''}`);
    await until(async () => (await unsettled()).length === 0, 15_000, 'the outbox to settle').catch(async (error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(await unsettled())}`);
    });
    return tg.sent(CHAT.mother);
  };

  it('announces each meal once per guardian, in their language, with the balance after', async () => {
    await hub.topUp('kid-a', 150_000);
    const at = time();
    await hub.meal('kid-a', 40_000);
    await hub.meal('kid-b', 40_000); // kid-b's only guardian was unlinked
    expect(await settle(1)).toEqual([`Асель поел(-а) в ${at} (lunch): 400 ₸. Остаток: 1100 ₸.`]);
    expect(tg.sent(CHAT.father)).toEqual([`Асель ${at} тамақтанды (lunch): 400 ₸. Қалдық: 1100 ₸.`]);
    expect(hooks).toHaveLength(1);
    const hook = new Webhook(secret).verify(hooks[0]?.body ?? '', hooks[0]?.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(hook.type).toBe('notice.meal');
    expect(hook.data).toMatchObject({ personId: 'kid-a', firstName: 'Асель', language: 'kk', detail: { kind: 'meal', period: 'lunch', free: false, chargeTiyn: 40_000, balanceTiyn: 110_000 } });
    const free = time();
    await hub.meal('kid-a', 95_000, true);
    expect((await settle(2))[1]).toBe(`Асель поел(-а) в ${free} (lunch): бесплатно. Остаток: 1100 ₸.`);
    expect(tg.sent(CHAT.gone)).toEqual([]);
    // Never a surname, a class or an ИИН.
    expect(tg.allSent().some((m) => /Нурланова|3А/.test(m.text))).toBe(false);
  });

  it('tells a fall below the threshold once, not again while low, and again after a top-up and a new fall', async () => {
    const low = (tenge: string): string => `Асель: баланс питания ${tenge} ₸, ниже 1000 ₸. Пополните счёт.`;
    const first = time();
    await hub.meal('kid-a', 40_000); // 1100 -> 700: below 1000
    expect((await settle(4)).slice(2).sort()).toEqual([`Асель поел(-а) в ${first} (lunch): 400 ₸. Остаток: 700 ₸.`, low('700')].sort());
    expect(tg.sent(CHAT.father).slice(2).some((text) => text === 'Асель: асхана балансы 700 ₸, 1000 ₸ шегінен төмен. Шотты толтырыңыз.')).toBe(true);
    await hub.meal('kid-a', 40_000); // 700 -> 300: still low, no second notice
    expect((await settle(5)).at(-1)).toContain('400 ₸. Остаток: 300 ₸.');
    await hub.topUp('kid-a', 20_000); // 300 -> 500: lifted, but not above the threshold
    await hub.meal('kid-a', 10_050); // 500 -> 399.50: still the same fall
    const whileLow = await settle(6);
    expect(whileLow.slice(4).every((text) => text.includes('поел(-а)'))).toBe(true);
    expect(whileLow.at(-1)).toContain('100.50 ₸. Остаток: 399.50 ₸.');
    await hub.topUp('kid-a', 100_000); // 399.50 -> 1399.50
    const again = time();
    await hub.meal('kid-a', 40_000); // -> 999.50: a new fall
    expect((await settle(8)).slice(6).sort()).toEqual([`Асель поел(-а) в ${again} (lunch): 400 ₸. Остаток: 999.50 ₸.`, low('999.50')].sort());
    expect(tg.sent(CHAT.mother).filter((text) => text.includes('баланс питания'))).toHaveLength(2);
    expect(tg.sent(CHAT.father)).toHaveLength(8);
    // Every key in the outbox once, every row sent once (on PostgreSQL two notifiers raced for them).
    const rows = await store.outbox();
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(24); // 8 each for two chats and the webhook
    expect(new Set(hooks.map((h) => h.headers['webhook-id'])).size).toBe(8);
    expect(tg.sent(CHAT.gone)).toEqual([]);
  });

  it('sends nothing again after a restart of the hub process', async () => {
    await hub.close();
    hub = await startSchoolHub(opened, tg.apiRoot, {});
    await hub.meal('kid-a', 10_000); // 999.50 -> 899.50: still low
    expect((await settle(9)).at(-1)).toContain('Остаток: 899.50 ₸.');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(tg.sent(CHAT.mother)).toHaveLength(9);
    expect(tg.sent(CHAT.father)).toHaveLength(9);
  });
});
