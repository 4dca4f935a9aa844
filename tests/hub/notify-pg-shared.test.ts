// Two notifiers (as two hub processes would: each its own connection pool) on one PostgreSQL share
// the cursor and the outbox: 150 arrivals to 150 linked chats, pushed while both run, give exactly one
// message per chat, every row sent once, none in doubt. Without SKIP LOCKED (or the cursor's
// compare-and-set) both would take the same rows and chats would get two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgHubStorage, type HubStorage } from '../../hub/index.js';
import { DEFAULT_NOTIFIER_CONFIG, Notifier, PgNotifyStore, type NotifyStore } from '../../hub/notify/index.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { silentLogger } from '../sync/helpers.js';
import { person } from './backends.js';
import { BOT_TOKEN, passage, silentNotifyLogger, startEmulator, until, type Emulator } from './notify-helpers.js';

const PUPILS = 150;

describe('two notifiers on one PostgreSQL', () => {
  let pg: TempPostgres;
  let tg: Emulator;
  const handles: Array<{ storage: HubStorage; store: NotifyStore; notifier: Notifier }> = [];

  beforeAll(async () => {
    pg = await startPostgres();
    tg = await startEmulator();
  }, 60_000);

  afterAll(async () => {
    for (const h of handles) {
      await h.notifier.stop();
      await h.store.close();
      await h.storage.close();
    }
    await tg?.stop();
    await pg?.stop();
  });

  it('deliver each notice once between them', async () => {
    const url = await pg.createDatabase();
    for (let i = 0; i < 2; i++) {
      const storage = await PgHubStorage.open(url, silentLogger, 4);
      const store = PgNotifyStore.open(url, silentLogger);
      await store.migrate();
      const notifier = new Notifier(storage, store, silentNotifyLogger, {
        ...DEFAULT_NOTIFIER_CONFIG, telegram: { token: BOT_TOKEN, apiRoot: tg.apiRoot }, pollMs: 20, dispatcher: { batch: 5 },
      });
      handles.push({ storage, store, notifier });
    }
    const [a, b] = handles;
    if (!a || !b) throw new Error('no notifiers');
    await a.storage.applyRoster(Array.from({ length: PUPILS }, (_, i) => person(`kid-${i}`, { name: `Pupil${i}` })));
    for (let i = 0; i < PUPILS; i++) {
      const made = await a.notifier.links.addGuardian(`kid-${i}`, 'ru');
      if (!made) throw new Error('no guardian');
      expect((await b.notifier.links.redeem(String(20_000 + i), made.code)).ok).toBe(true);
    }
    // Both start planning and delivering (their bots poll too; no guardian writes to them here).
    for (const h of handles) h.notifier.start();
    for (let batch = 0; batch < PUPILS; batch += 10) {
      const events = Array.from({ length: 10 }, (_, j) => ({ event: passage(batch + j + 1, `kid-${batch + j}`, 'in') }));
      await (batch % 20 === 0 ? a : b).storage.ingest('kiosk-1', events, null, null, Date.now());
    }
    await until(async () => (await a.store.outbox('sent')).length === PUPILS, 20_000, 'all notices sent').catch(async (e: unknown) => {
      const rows = await a.store.outbox();
      console.log(JSON.stringify({ rows: rows.length, states: rows.map((r) => r.state + ':' + String(r.lastError)).slice(0, 5), sent: tg.allSent().length }));
      throw e;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const perChat = new Map<string, number>();
    for (const m of tg.allSent()) perChat.set(m.chat, (perChat.get(m.chat) ?? 0) + 1);
    expect(perChat.size).toBe(PUPILS);
    expect([...perChat.values()].every((n) => n === 1)).toBe(true);
    const rows = await a.store.outbox();
    expect(rows).toHaveLength(PUPILS);
    expect(rows.every((r) => r.state === 'sent' && r.attempts === 1)).toBe(true);
  }, 60_000);
});
