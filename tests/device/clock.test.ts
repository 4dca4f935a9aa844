import { describe, expect, it } from 'vitest';
import { KioskClock } from '../../device/clock.js';

function manual(startWall: number) {
  const state = { wall: startWall, mono: 0 };
  return { state, options: { utcOffsetMinutes: 300, now: () => state.wall, hrtimeMs: () => state.mono, ntpProbe: () => Promise.resolve(false) } };
}

describe('kiosk clock', () => {
  it('is untrusted at boot, trusted after a hub Date header, and untrusted again after a jump', () => {
    const { state, options } = manual(Date.UTC(2026, 8, 1, 3, 0, 0));
    const clock = new KioskClock(options);
    expect(clock.trusted()).toBe(false);
    clock.setOffsetFromHub(Date.UTC(2026, 8, 1, 3, 0, 0));
    expect(clock.trusted()).toBe(true);
    state.wall += 1000;
    state.mono += 1000;
    expect(clock.trusted()).toBe(true);
    expect(clock.monoMs()).toBe(1000);
    state.wall += 3_600_000; // someone set the clock an hour ahead
    state.mono += 10;
    expect(clock.trusted()).toBe(false);
    clock.setOffsetFromHub(state.wall);
    expect(clock.trusted()).toBe(true);
    expect(clock.utcOffsetMinutes()).toBe(300);
  });

  it('corrects a 1970 boot clock from the hub and never trusts a year before 2024', () => {
    const { options } = manual(0);
    const clock = new KioskClock(options);
    clock.setOffsetFromHub(Date.UTC(1999, 0, 1)); // implausible: ignored
    expect(clock.trusted()).toBe(false);
    const hub = Date.UTC(2026, 8, 1, 3, 0, 0);
    clock.setOffsetFromHub(hub);
    expect(clock.wallMs()).toBe(hub);
    expect(clock.trusted()).toBe(true);
  });

  it('trusts NTP once the probe reports synchronised, checked off the hot path', async () => {
    const { options } = manual(Date.UTC(2026, 8, 1));
    let synced = false;
    const clock = new KioskClock({ ...options, ntpProbe: () => Promise.resolve(synced), probeIntervalMs: 10 });
    clock.start();
    expect(clock.trusted()).toBe(false);
    synced = true;
    await new Promise((r) => setTimeout(r, 50));
    expect(clock.trusted()).toBe(true);
    clock.stop();
  });
});
