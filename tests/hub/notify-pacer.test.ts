// Telegram pacing, on a fake clock: slots are 1/perSecond apart for the bot and 1 s apart per chat.
import { describe, expect, it } from 'vitest';
import { TelegramPacer } from '../../hub/notify/index.js';

function pacer(perSecond: number): { pacer: TelegramPacer; waits: number[]; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const waits: number[] = [];
  const wait = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  return { pacer: new TelegramPacer(perSecond, 1_000, () => clock.now, wait), waits, clock };
}

describe('TelegramPacer', () => {
  it('spaces a burst to distinct chats at the per-bot rate', async () => {
    const { pacer: p, waits } = pacer(25);
    for (let i = 0; i < 50; i++) await p.slot(`chat-${i}`);
    // The first goes at once; the 50th waits 49 slots of 40 ms: 50 messages take about 2 s, not less.
    expect(waits).toHaveLength(49);
    expect(waits.at(-1)).toBe(49 * 40);
  });

  it('keeps one chat to one message a second, without holding up other chats', async () => {
    const { pacer: p, waits, clock } = pacer(25);
    await p.slot('a');
    await p.slot('a');
    expect(waits).toEqual([1_000]);
    clock.now += 100;
    await p.slot('b'); // the bot's next slot is long past: at once
    expect(waits).toEqual([1_000]);
  });
});
