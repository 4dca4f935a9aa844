// sd_notify through the real systemd-notify helper into a real unix datagram socket.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NullNotifyTransport, SdNotifier, SystemdNotifyCommandTransport, notifyTransportFromEnv, watchdogIntervalMs } from '../../device/systemd/notify.js';
import { NotifySocketRecorder, notifySocketUnavailable } from './helpers/notify-socket.js';

const unavailable = notifySocketUnavailable();
if (unavailable) console.warn(`sd-notify socket test skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('SdNotifier over systemd-notify', () => {
  let dir: string;
  let recorder: NotifySocketRecorder;
  const savedSocket = process.env.NOTIFY_SOCKET;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-notify-'));
    recorder = new NotifySocketRecorder(dir);
    await recorder.start();
    process.env.NOTIFY_SOCKET = recorder.path;
  });

  afterAll(async () => {
    if (savedSocket === undefined) delete process.env.NOTIFY_SOCKET;
    else process.env.NOTIFY_SOCKET = savedSocket;
    await recorder.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers READY, STATUS, WATCHDOG and STOPPING with our pid as MAINPID', async () => {
    const notifier = new SdNotifier(new SystemdNotifyCommandTransport({ pid: process.pid }), pino({ level: 'silent' }));
    await notifier.ready('started');
    await notifier.watchdog();
    await notifier.status('healthy');
    await notifier.status('healthy'); // unchanged: not sent again
    await notifier.stopping('bye');
    const lines = recorder.assignments();
    expect(lines).toContain('READY=1');
    expect(lines).toContain('WATCHDOG=1');
    expect(lines).toContain('STOPPING=1');
    expect(lines).toContain(`MAINPID=${process.pid}`);
    expect(lines.filter((l) => l === 'STATUS=healthy')).toHaveLength(1);
    expect(lines.indexOf('READY=1')).toBeLessThan(lines.indexOf('STOPPING=1'));
  });
});

describe('sd_notify environment', () => {
  it('uses no transport outside systemd and reads the watchdog period', () => {
    expect(notifyTransportFromEnv({})).toBeInstanceOf(NullNotifyTransport);
    expect(notifyTransportFromEnv({ NOTIFY_SOCKET: '/run/systemd/notify' })).toBeInstanceOf(SystemdNotifyCommandTransport);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, 2)).toBeNull();
    expect(watchdogIntervalMs({})).toBeNull();
  });

  it('logs and survives a failing helper instead of throwing into the kiosk', async () => {
    const notifier = new SdNotifier(new SystemdNotifyCommandTransport({ pid: 1, command: '/nonexistent/systemd-notify' }), pino({ level: 'silent' }));
    await expect(notifier.ready()).resolves.toBeUndefined();
  });
});
