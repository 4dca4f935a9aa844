// Clock jumps under a real kiosk process (ESIK_FAKE_CLOCK_FILE moves its wall clock and NTP state):
// seq order holds whatever the wall clock does, monoMs is monotonic within a boot, and timeTrusted
// is false while the clock is not known good, true once NTP has set it.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';
import { everyEvent, startKioskChild, waitFor, type KioskChild } from './helpers.js';

const STAFF_CARD = '0A11C0DE';
const FIVE_YEARS_MS = 5 * 365 * 24 * 3600 * 1000;

interface EventTimes {
  seq: number;
  type: string;
  bootId: string;
  monoMs: number;
  wallMs: number;
  timeTrusted: boolean;
}

let dir: DaemonDir | null = null;
let running: KioskChild | null = null;
afterEach(async () => {
  await running?.kill();
  running = null;
  await dir?.cleanup();
  dir = null;
});

async function setClock(file: string, offsetMs: number, ntpSynced: boolean): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify({ offsetMs, ntpSynced }));
  await rename(`${file}.tmp`, file); // never a half-written state for the kiosk to read
}

async function present(socketPath: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = (await adminRequest(socketPath, 'POST', '/v1/simulate', { actor: 'fault-clock', value: STAFF_CARD, door: 'main' })) as { outcome: string };
    expect(answer.outcome).toBe('grant');
  }
}

async function clockTrusted(socketPath: string): Promise<boolean> {
  const status = (await adminRequest(socketPath, 'GET', '/v1/status')) as { clock: { trusted: boolean } };
  return status.clock.trusted;
}

async function bootWithClock(offsetMs: number, ntpSynced: boolean): Promise<{ made: DaemonDir; clockFile: string }> {
  const made = await daemonDir();
  dir = made;
  const clockFile = join(made.dir, 'clock.json');
  await setClock(clockFile, offsetMs, ntpSynced);
  running = await startKioskChild(made.configFile, made.socketPath, { ESIK_FAKE_CLOCK_FILE: clockFile });
  return { made, clockFile };
}

const accessEvents = async (socketPath: string): Promise<EventTimes[]> =>
  ((await everyEvent(socketPath)) as unknown as EventTimes[]).filter((event) => event.type === 'access.granted');

/** seq strictly increasing and, within one boot, monoMs never going back. */
function expectOrdered(events: readonly EventTimes[]): void {
  for (let i = 1; i < events.length; i++) {
    const [prev, next] = [events[i - 1], events[i]];
    if (prev === undefined || next === undefined) continue;
    expect(next.seq).toBeGreaterThan(prev.seq);
    if (prev.bootId === next.bootId) expect(next.monoMs).toBeGreaterThanOrEqual(prev.monoMs);
  }
}

describe('clock jumps', () => {
  it('boot in 1970: events are timeTrusted=false with seq in order, and true once NTP sets the clock', async () => {
    const { made, clockFile } = await bootWithClock(Date.UTC(1970, 0, 2) - Date.now(), false);
    await present(made.socketPath, 3);
    expect(await clockTrusted(made.socketPath)).toBe(false);
    await setClock(clockFile, 0, true); // NTP steps the clock to now and reports synchronised
    await waitFor('the clock to be trusted', async () => ((await clockTrusted(made.socketPath)) ? true : undefined));
    await present(made.socketPath, 2);
    const events = await accessEvents(made.socketPath);
    expectOrdered(events);
    expect(events.slice(0, 3).map((event) => [new Date(event.wallMs).getUTCFullYear(), event.timeTrusted])).toEqual([[1970, false], [1970, false], [1970, false]]);
    expect(events.slice(3).map((event) => event.timeTrusted)).toEqual([true, true]);
    expect(events[3]?.wallMs).toBeGreaterThan(Date.UTC(2024, 0, 1));
  }, 120_000);

  it('boot 5 years ahead without NTP: a plausible year is still timeTrusted=false; seq and monoMs in order', async () => {
    const { made } = await bootWithClock(FIVE_YEARS_MS, false);
    await present(made.socketPath, 3);
    const events = await accessEvents(made.socketPath);
    expectOrdered(events);
    expect(events.every((event) => !event.timeTrusted && event.wallMs > Date.now() + FIVE_YEARS_MS - 60_000)).toBe(true);
  }, 120_000);

  it('wall clock stepped backwards during a run: seq and monoMs keep their order, timeTrusted turns false', async () => {
    const { made, clockFile } = await bootWithClock(0, true);
    await waitFor('the clock to be trusted', async () => ((await clockTrusted(made.socketPath)) ? true : undefined));
    await present(made.socketPath, 2);
    await setClock(clockFile, -2 * 3600 * 1000, false); // someone sets the clock two hours back
    await present(made.socketPath, 2);
    const events = await accessEvents(made.socketPath);
    expectOrdered(events);
    expect(events.map((event) => event.timeTrusted)).toEqual([true, true, false, false]);
    const [, beforeJump, afterJump] = events;
    expect(afterJump?.wallMs ?? 0).toBeLessThan((beforeJump?.wallMs ?? 0) - 3600 * 1000);
    expect(afterJump?.monoMs ?? 0).toBeGreaterThanOrEqual(beforeJump?.monoMs ?? 0);
  }, 120_000);
});
