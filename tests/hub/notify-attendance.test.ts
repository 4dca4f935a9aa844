// Late and absent notices on a fake clock (school zone UTC, bell 08:30, absent check 10:00, Monday to
// Friday), delivered through the Telegram emulator: a first arrival after the bell is late, a later
// re-entry that day is a plain arrival; a child not in by 10:00 on a school day is announced absent
// once, however often the check runs; not on a roster holiday, not on a Saturday; a repeated passage
// in the same direction within minutes is folded. SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFIER_CONFIG, Notifier } from '../../hub/notify/index.js';
import { person } from './backends.js';
import { BOT_TOKEN, passage, silentNotifyLogger, startEmulator, type Emulator } from './notify-helpers.js';
import { notifyDb, type NotifyDb } from './notify-fixture.js';
import type { HubStorage } from '../../hub/index.js';
import type { NotifyStore } from '../../hub/notify/index.js';

const MONDAY = Date.UTC(2026, 8, 7); // 2026-09-07
const at = (day: number, hh: number, mm: number): number => MONDAY + day * 86_400_000 + (hh * 60 + mm) * 60_000;
const CHAT = { early: 1, late: 2, away: 3 } as const;

describe.each(['sqlite', 'postgres'] as const)('late and absent notices (%s)', (backend) => {
  let db: NotifyDb;
  let tg: Emulator;
  let storage: HubStorage;
  let store: NotifyStore;
  let notifier: Notifier;
  const clock = { now: at(0, 7, 0) };
  let seq = 0;

  beforeAll(async () => {
    expect(new Date(MONDAY).getUTCDay()).toBe(1);
    db = await notifyDb(backend);
    tg = await startEmulator();
    ({ storage, store } = await db.open());
    notifier = new Notifier(storage, store, silentNotifyLogger, {
      ...DEFAULT_NOTIFIER_CONFIG, timeZone: 'UTC', telegram: { token: BOT_TOKEN, apiRoot: tg.apiRoot },
      attendance: { bell: '08:30', absentAt: '10:00' },
    }, () => clock.now);
    await storage.applyRoster([person('kid-early', { name: 'Asel One' }), person('kid-late', { name: 'Bolat Two' }), person('kid-away', { name: 'Dana Three' })]);
    for (const [name, chat] of Object.entries(CHAT)) {
      const made = await notifier.links.addGuardian(`kid-${name}`, 'en');
      if (!made) throw new Error('no guardian');
      expect((await notifier.links.redeem(String(chat), made.code)).ok).toBe(true);
    }
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await storage?.close();
    await tg?.stop();
    await db?.stop();
  });

  const passAt = async (ms: number, kid: string, direction: 'in' | 'out'): Promise<void> => {
    clock.now = ms;
    await storage.ingest('kiosk-1', [{ event: passage(++seq, kid, direction, ms) }], null, null, ms);
    await notifier.runOnce();
  };
  const tick = async (ms: number): Promise<void> => {
    clock.now = ms;
    await notifier.runOnce();
  };

  it('announces late after the bell, absent at the check, each once', async () => {
    await passAt(at(0, 8, 10), 'kid-early', 'in');
    await passAt(at(0, 8, 45), 'kid-late', 'in');
    expect(tg.sent(CHAT.early)).toEqual(['Asel arrived at school at 08:10 (door: main).']);
    expect(tg.sent(CHAT.late)).toEqual(['Bolat arrived late at school at 08:45 (door: main).']);
    await tick(at(0, 9, 59));
    expect(tg.sent(CHAT.away)).toEqual([]);
    await tick(at(0, 10, 0));
    await tick(at(0, 10, 5));
    expect(tg.sent(CHAT.away)).toEqual(['Dana has not arrived at school by 10:00.']);
    expect(tg.sent(CHAT.early)).toHaveLength(1);
    expect(tg.sent(CHAT.late)).toHaveLength(1);
    await passAt(at(0, 12, 0), 'kid-late', 'out');
    await passAt(at(0, 13, 0), 'kid-late', 'in');
    expect(tg.sent(CHAT.late).slice(1)).toEqual(['Bolat left school at 12:00 (door: main).', 'Bolat arrived at school at 13:00 (door: main).']);
  });

  it('is quiet on a roster holiday and on a Saturday', async () => {
    await storage.applyRoster([{ op: 'upsert', type: 'holiday', data: { date: '2026-09-08', name: 'Test holiday' } }]);
    await tick(at(1, 10, 5)); // Tuesday, a holiday
    expect(tg.sent(CHAT.away)).toHaveLength(1);
    // Wednesday is a school day again and nobody came: each guardian hears of it once.
    await tick(at(2, 10, 1));
    await tick(at(2, 10, 30));
    expect(tg.sent(CHAT.away)).toEqual(['Dana has not arrived at school by 10:00.', 'Dana has not arrived at school by 10:01.']);
    expect(tg.sent(CHAT.early)).toEqual(['Asel arrived at school at 08:10 (door: main).', 'Asel has not arrived at school by 10:01.']);
    await tick(at(5, 10, 5)); // Saturday
    expect(tg.sent(CHAT.away)).toHaveLength(2);
  });

  it('folds a repeated passage in the same direction within minutes, never a change of direction', async () => {
    const before = tg.sent(CHAT.early).length;
    await passAt(at(10, 8, 0), 'kid-early', 'in'); // the next Thursday
    await passAt(at(10, 8, 2), 'kid-early', 'in'); // the card read twice
    await passAt(at(10, 8, 3), 'kid-early', 'out');
    await passAt(at(10, 8, 4), 'kid-early', 'in');
    await passAt(at(10, 8, 20), 'kid-early', 'in'); // again, but long after
    expect(tg.sent(CHAT.early).slice(before)).toEqual([
      'Asel arrived at school at 08:00 (door: main).', 'Asel left school at 08:03 (door: main).',
      'Asel arrived at school at 08:04 (door: main).', 'Asel arrived at school at 08:20 (door: main).',
    ]);
  });
});
