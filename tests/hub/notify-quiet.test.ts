// Quiet hours per guardian, on a fake clock: a notice due inside the window is held (pending, due when
// it ends, the attempt not counted), sent once when it ends, never dropped; two dispatchers draining
// together after the window send each held notice once; a Telegram row a dead process may have sent
// is recorded in doubt, not held and sent later. The window's arithmetic and the /quiet text by example.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DISPATCHER_OPTIONS, hashCode, OutboxDispatcher, parseQuietText, quietUntil, SqliteNotifyStore, type NoticeChannel, type NotifyStore,
} from '../../hub/notify/index.js';
import { tempDir } from '../sync/helpers.js';
import { silentNotifyLogger } from './notify-helpers.js';

const ZONE = 'Asia/Almaty'; // UTC+5, no daylight saving
const at = (localIso: string): number => Date.parse(`${localIso}+05:00`);

describe('quietUntil', () => {
  const night = { start: '22:00', end: '07:00' };
  it.each([
    ['2026-12-07T23:30:00', night, '2026-12-08T07:00:00'],
    ['2026-12-07T22:00:00', night, '2026-12-08T07:00:00'],
    ['2026-12-08T06:59:59', night, '2026-12-08T07:00:00'],
    ['2026-12-08T00:10:00', night, '2026-12-08T07:00:00'],
    ['2026-12-08T13:15:30', { start: '13:00', end: '14:00' }, '2026-12-08T14:00:00'],
  ])('at %s inside %o: until %s', (now, quiet, end) => {
    expect(quietUntil(at(now), quiet, ZONE)).toBe(at(end));
  });
  it.each([
    ['2026-12-08T07:00:00', night],
    ['2026-12-08T12:00:00', night],
    ['2026-12-07T21:59:59', night],
    ['2026-12-08T14:00:00', { start: '13:00', end: '14:00' }],
  ])('at %s outside %o: null', (now, quiet) => {
    expect(quietUntil(at(now), quiet, ZONE)).toBeNull();
  });
  it('no window: null', () => {
    expect(quietUntil(at('2026-12-08T02:00:00'), null, ZONE)).toBeNull();
  });
});

describe('parseQuietText', () => {
  it.each([
    ['22:00 07:00', { start: '22:00', end: '07:00' }],
    ['22:00-7:00', { start: '22:00', end: '07:00' }],
    ['off', 'off'],
    ['25:00 07:00', null],
    ['22:00 22:00', null],
    ['22:00', null],
    ['at night', null],
  ])('%s', (text, expected) => {
    expect(parseQuietText(text)).toEqual(expected);
  });
});

describe('a dispatcher holds notices in quiet hours', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let store: NotifyStore;
  let clock = 0;
  const sent: string[] = [];
  const channel: NoticeChannel = {
    name: 'telegram', idempotent: false, ready: () => Promise.resolve(),
    send: (row) => {
      sent.push(row.key);
      return Promise.resolve({ ok: true });
    },
  };
  const dispatcher = (): OutboxDispatcher => new OutboxDispatcher(store, [channel], silentNotifyLogger, () => clock, { ...DEFAULT_DISPATCHER_OPTIONS, timeZone: ZONE });
  const notice = (n: number) => ({
    key: `ev-${n}:g-1:telegram`, guardianId: 'g-1', channel: 'telegram' as const,
    payload: { kind: 'arrival' as const, eventId: `ev-${n}`, personId: 'kid-1', firstName: 'Aigerim', at: new Date(clock).toISOString(), door: 'main' },
  });

  beforeEach(async () => {
    dir = await tempDir('esik-notify-quiet-');
    store = await SqliteNotifyStore.open(`${dir.dir}/hub.db`);
    clock = at('2026-12-07T23:00:00');
    sent.length = 0;
    await store.addGuardian({ id: 'g-1', personId: 'kid-1', language: 'kk', createdMs: clock });
    await store.addCode(hashCode('ABCDEFGH'), 'g-1', clock + 60_000);
    await store.redeemCode(hashCode('ABCDEFGH'), 'chat-1', clock);
    await store.setQuietHours('g-1', { start: '22:00', end: '07:00' });
  });

  afterEach(async () => {
    await store.close();
    await dir.cleanup();
  });

  it('sends nothing inside the window and each notice once when it ends', async () => {
    await store.addRows([notice(1), notice(2)], clock);
    await dispatcher().drain();
    expect(sent).toEqual([]);
    const held = await store.outbox();
    expect(held.map((r) => [r.state, r.dueMs, r.attempts])).toEqual([['pending', at('2026-12-08T07:00:00'), 0], ['pending', at('2026-12-08T07:00:00'), 0]]);

    clock = at('2026-12-08T03:00:00');
    await store.addRows([notice(3)], clock);
    await dispatcher().drain();
    clock = at('2026-12-08T06:59:59');
    await dispatcher().drain();
    expect(sent).toEqual([]);

    clock = at('2026-12-08T07:00:00');
    // Two dispatchers (two hub processes' delivery loops) drain at once: still one send per key.
    await Promise.all([dispatcher().drain(), dispatcher().drain()]);
    expect(sent.sort()).toEqual(['ev-1:g-1:telegram', 'ev-2:g-1:telegram', 'ev-3:g-1:telegram']);
    expect((await store.outbox()).map((r) => [r.state, r.attempts])).toEqual([['sent', 1], ['sent', 1], ['sent', 1]]);
    await dispatcher().drain();
    expect(sent).toHaveLength(3);
  });

  it('a notice due outside the window goes at once; turning quiet hours off releases held ones at their due time', async () => {
    clock = at('2026-12-08T12:00:00');
    await store.addRows([notice(1)], clock);
    await dispatcher().drain();
    expect(sent).toEqual(['ev-1:g-1:telegram']);
    await store.setQuietHours('g-1', { start: '11:00', end: '13:00' });
    await store.addRows([notice(2)], clock);
    await dispatcher().drain();
    expect(sent).toHaveLength(1);
    await store.setQuietHours('g-1', null);
    clock = at('2026-12-08T13:00:00');
    await dispatcher().drain();
    expect(sent).toEqual(['ev-1:g-1:telegram', 'ev-2:g-1:telegram']);
  });

  it('a Telegram row a dead process was handing over is in doubt, not held for later', async () => {
    await store.addRows([notice(1)], clock);
    const [claimed] = await store.claim(clock, 1_000, 10);
    await store.markSending(claimed?.key ?? '');
    clock += 2_000; // the dead process's lease runs out, still inside the window
    await dispatcher().drain();
    expect((await store.outbox()).map((r) => r.state)).toEqual(['in_doubt']);
    clock = at('2026-12-08T08:00:00');
    await dispatcher().drain();
    expect(sent).toEqual([]);
  });
});
