// Guardians link through the emulated Telegram bot (telegram-test-api on loopback) with a one-time
// code issued by the admin route; a passage stored by the hub then reaches each linked chat once, in
// the guardian's language, within seconds; an unlinked chat, a wrong code, /stop and the school's
// unlink get nothing about the child. On SQLite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from './backends.js';
import { BOT_TOKEN, passage, startEmulator, until, type Emulator } from './notify-helpers.js';
import { notifyDb, startNotifyHub, type NotifyDb, type NotifyHub } from './notify-fixture.js';

const KID = 'kid-aigerim';
const NOW = () => Date.now();

describe.each(['sqlite', 'postgres'] as const)('parents notifier over Telegram (%s)', (backend) => {
  let db: NotifyDb;
  let tg: Emulator;
  let hub: NotifyHub;
  let seq = 0;

  beforeAll(async () => {
    db = await notifyDb(backend);
    tg = await startEmulator();
    const { storage, store } = await db.open();
    await storage.applyRoster([person(KID, { name: 'Aigerim Serikova' })]);
    hub = await startNotifyHub(storage, store, { telegram: { token: BOT_TOKEN, apiRoot: tg.apiRoot }, links: { maxGuesses: 3, guessWindowMs: 60_000 } });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await hub?.storage.close();
    await hub?.store.close();
    await tg?.stop();
    await db?.stop();
  });

  const push = async (direction: 'in' | 'out'): Promise<void> => {
    await hub.storage.ingest('kiosk-1', [{ event: passage(++seq, KID, direction, NOW()) }], null, null, NOW());
  };

  it('links a guardian with a one-time code, then says arrival and departure once each, in their language', async () => {
    const added = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'en' });
    expect(added.status).toBe(201);
    const code = String(added.body.code);
    expect(code).toMatch(/^[A-Z2-9]{8}$/);
    expect((await hub.admin('POST', '/v1/admin/notify/guardians', { personId: 'nobody', language: 'en' })).status).toBe(404);

    await tg.say(501, `/start ${code.slice(0, 4)}-${code.slice(4).toLowerCase()}`);
    const [linked] = await tg.waitFor(501, 1);
    expect(linked).toContain('Aigerim');
    expect(linked).not.toContain('Serikova');

    // The code is single use: another chat gets nothing about the child.
    await tg.say(502, `/start ${code}`);
    const [refused] = await tg.waitFor(502, 1);
    expect(refused).not.toContain('Aigerim');

    const started = Date.now();
    await push('in');
    const [, arrival] = await tg.waitFor(501, 2, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(arrival).toMatch(/^Aigerim arrived at school at \d\d:\d\d \(door: main\)\.$/);
    await push('out');
    const messages = await tg.waitFor(501, 3);
    expect(messages[2]).toMatch(/^Aigerim left school at/);
    // Nothing more, and the chat that used a spent code got only its refusal.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(tg.sent(501)).toHaveLength(3);
    expect(tg.sent(502)).toEqual([refused]);
    const sent = await hub.store.outbox('sent');
    expect(sent).toHaveLength(2);
  });

  it('limits wrong codes per chat; a chat that never linked hears nothing about the child', async () => {
    const { body } = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'ru' });
    for (const guess of ['AAAA2222', 'BBBB3333', 'CCCC4444']) await tg.say(601, guess);
    const replies = await tg.waitFor(601, 3);
    for (const reply of replies) expect(reply).toMatch(/Код недействителен|Code|код/i);
    // The fourth try is refused before it is checked, even with the right code.
    await tg.say(601, `/start ${String(body.code)}`);
    const [, , , limited] = await tg.waitFor(601, 4);
    expect(limited).toMatch(/Слишком много попыток/);
    await push('in');
    await until(async () => (await hub.store.outbox('sent')).length === 3, 8_000, 'the third notice');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(tg.sent(601)).toHaveLength(4);
    expect(tg.sent(601).join('\n')).not.toContain('Aigerim');
    expect(tg.sent(777)).toEqual([]);
  });

  it('sends nothing after /stop or after the school unlinks the guardian', async () => {
    const a = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'kk' });
    const b = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'ru' });
    await tg.say(701, `/start ${String(a.body.code)}`);
    await tg.say(702, `/start ${String(b.body.code)}`);
    await tg.waitFor(701, 1);
    await tg.waitFor(702, 1);
    await push('out'); // (an arrival again so soon would be folded into the last one)
    expect((await tg.waitFor(701, 2))[1]).toMatch(/^Aigerim мектептен \d\d:\d\d шықты/);
    expect((await tg.waitFor(702, 2))[1]).toMatch(/^Aigerim ушёл\(-ла\) из школы/);

    await tg.say(701, '/stop');
    await tg.waitFor(701, 3);
    expect((await hub.admin('DELETE', `/v1/admin/notify/guardians/${String(b.body.guardianId)}`)).status).toBe(200);
    const before501 = tg.sent(501).length;
    await push('in');
    await tg.waitFor(501, before501 + 1); // the first guardian is still linked: the round has run
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(tg.sent(701)).toHaveLength(3);
    expect(tg.sent(702)).toHaveLength(2);
  });

  it('refuses the admin routes without the admin token', async () => {
    const response = await fetch(`${hub.url}/v1/admin/notify/guardians`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ personId: KID }) });
    expect(response.status).toBe(401);
  });
});
