// The watchdog is fed only while every critical check passes (fake timers drive the monitor).
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HealthMonitor,
  clockTrustedCheck,
  databaseWritableCheck,
  diskFreeCheck,
  eventLoopLagCheck,
  readersAliveCheck,
  type WatchdogSink,
} from '../../device/health/index.js';

class RecordingWatchdog implements WatchdogSink {
  pings = 0;
  statuses: string[] = [];
  watchdog(): Promise<void> {
    this.pings += 1;
    return Promise.resolve();
  }
  status(text: string): Promise<void> {
    this.statuses.push(text);
    return Promise.resolve();
  }
}

describe('HealthMonitor and the systemd watchdog', () => {
  let dbBroken: boolean;
  let dbHangs: boolean;
  let lagMs: number;
  let readerStatus: string;
  let clockTrusted: boolean;
  let freeBytes: number;
  let sink: RecordingWatchdog;
  let monitor: HealthMonitor;

  beforeEach(() => {
    vi.useFakeTimers();
    dbBroken = false;
    dbHangs = false;
    lagMs = 3;
    readerStatus = 'connected';
    clockTrusted = true;
    freeBytes = 10 * 1024 ** 3;
    sink = new RecordingWatchdog();
    monitor = new HealthMonitor({
      logger: pino({ level: 'silent' }),
      intervalMs: 5_000,
      checkTimeoutMs: 1_000,
      watchdog: sink,
      checks: [
        eventLoopLagCheck(() => lagMs, 500),
        databaseWritableCheck(() => {
          if (dbHangs) return new Promise<void>(() => undefined);
          return dbBroken ? Promise.reject(new Error('SQLITE_READONLY: attempt to write a readonly database')) : Promise.resolve();
        }),
        readersAliveCheck(() => [
          { id: 'main-in', status: readerStatus, required: true },
          { id: 'spare', status: 'disconnected', required: false },
        ]),
        diskFreeCheck('/var/lib/esik', 64 * 1024 ** 2, () => Promise.resolve(freeBytes)),
        clockTrustedCheck(() => clockTrusted),
      ],
    });
  });

  afterEach(() => {
    monitor.stop();
    vi.useRealTimers();
  });

  it('pings on every run while healthy', async () => {
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.pings).toBe(1);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(sink.pings).toBe(4);
    expect(monitor.report()?.healthy).toBe(true);
    expect(sink.statuses.at(-1)).toBe('healthy');
  });

  it('stops feeding the watchdog while the database is not writable, and resumes when it is', async () => {
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.pings).toBe(1);
    dbBroken = true;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sink.pings).toBe(1);
    expect(monitor.report()?.healthy).toBe(false);
    expect(sink.statuses.at(-1)).toMatch(/^UNHEALTHY: database: not writable: SQLITE_READONLY/);
    dbBroken = false;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sink.pings).toBe(2);
  });

  it('a hung check counts as failed (no ping), a blocked event loop and a lost reader too', async () => {
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    dbHangs = true;
    await vi.advanceTimersByTimeAsync(5_000 + 1_000);
    expect(sink.pings).toBe(1);
    expect(monitor.report()?.checks.find((c) => c.name === 'database')?.detail).toMatch(/no answer within 1000 ms/);
    dbHangs = false;
    lagMs = 4_000;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sink.pings).toBe(1);
    lagMs = 2;
    readerStatus = 'reconnecting';
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sink.pings).toBe(1);
    expect(monitor.report()?.checks.find((c) => c.name === 'readers')?.detail).toBe('not connected: main-in (reconnecting)');
    readerStatus = 'connected';
    freeBytes = 1024;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sink.pings).toBe(1);
  });

  it('an untrusted clock is a warning: still fed, but shown', async () => {
    clockTrusted = false;
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.pings).toBe(1);
    expect(monitor.report()?.warnings).toEqual(['clock']);
    expect(sink.statuses.at(-1)).toMatch(/^degraded: clock/);
  });
});
