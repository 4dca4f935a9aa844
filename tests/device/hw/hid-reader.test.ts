import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HidBackend, HidDeviceInfo, HidHandle } from '../../../device/hw/deps.js';
import { createReader, ReaderConfigSchema, type Presentation, type ReaderStatus } from '../../../device/hw/index.js';
import { HidWedgeReader } from '../../../device/hw/hid/wedge-reader.js';
import { selectHidDevice } from '../../../device/hw/hid/hid-reader-base.js';

const logger = pino({ level: 'silent' });

/** A fake hidraw handle: the test plays reports into it and can unplug it. */
class FakeHidHandle extends EventEmitter implements HidHandle {
  closed = false;
  constructor(readonly path: string) {
    super();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  play(hex: string): void {
    this.emit('data', Buffer.from(hex, 'hex'));
  }
}

class FakeHidBackend implements HidBackend {
  plugged = true;
  opened: FakeHidHandle[] = [];
  openAttempts: string[] = [];
  constructor(public list: HidDeviceInfo[]) {}
  devices(): Promise<HidDeviceInfo[]> {
    return Promise.resolve(this.plugged ? this.list : []);
  }
  open(path: string): Promise<HidHandle> {
    this.openAttempts.push(path);
    if (!this.plugged) return Promise.reject(new Error(`cannot open ${path}: No such device`));
    const handle = new FakeHidHandle(path);
    this.opened.push(handle);
    return Promise.resolve(handle);
  }
  get current(): FakeHidHandle {
    const handle = this.opened.at(-1);
    if (!handle) throw new Error('nothing opened');
    return handle;
  }
}

const devices: HidDeviceInfo[] = [
  { vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw0', usagePage: 1, usage: 6 },
  { vendorId: 0xffff, productId: 0x0035, path: '/dev/hidraw1', usagePage: 1, usage: 2 },
  { vendorId: 0xffff, productId: 0x0035, path: '/dev/hidraw2', usagePage: 1, usage: 6 },
];

function fixtureReports(name: string): string[] {
  const raw = readFileSync(resolve(import.meta.dirname, '../../../fixtures/hid', `${name}.json`), 'utf8');
  return (JSON.parse(raw) as { reports: Array<{ hex: string }> }).reports.map((r) => r.hex);
}

async function wedge(backend: HidBackend, extra: Record<string, unknown> = {}): Promise<HidWedgeReader> {
  const cfg = ReaderConfigSchema.parse({ driver: 'hid-wedge', id: 'r1', door: 'main', vendorId: 0xffff, productId: 0x35, ...extra });
  const reader = await createReader(cfg, { logger, hid: backend, monoNow: () => Date.now() });
  expect(reader).toBeInstanceOf(HidWedgeReader);
  return reader as HidWedgeReader;
}

function record(reader: EventEmitter): { presentations: Presentation[]; statuses: ReaderStatus[]; warnings: string[] } {
  const log = { presentations: [] as Presentation[], statuses: [] as ReaderStatus[], warnings: [] as string[] };
  reader.on('presentation', (p: Presentation) => log.presentations.push(p));
  reader.on('status', (s: ReaderStatus) => log.statuses.push(s));
  reader.on('warning', (w: string) => log.warnings.push(w));
  return log;
}

describe('selectHidDevice', () => {
  it('prefers the keyboard interface of the matching vendor/product', () => {
    expect(selectHidDevice(devices, { vendorId: 0xffff, productId: 0x35 })?.path).toBe('/dev/hidraw2');
  });
  it('selects by path', () => {
    expect(selectHidDevice(devices, { path: '/dev/hidraw1' })?.path).toBe('/dev/hidraw1');
  });
  it('finds nothing for an absent id', () => {
    expect(selectHidDevice(devices, { vendorId: 1 })).toBeUndefined();
  });
});

describe('HidWedgeReader on a fake HID transport', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens the selected device and emits one presentation per recorded code', async () => {
    const backend = new FakeHidBackend(devices);
    const reader = await wedge(backend);
    const log = record(reader);
    await reader.start();
    expect(backend.openAttempts).toEqual(['/dev/hidraw2']);
    expect(reader.status()).toBe('connected');
    for (const hex of fixtureReports('card-hex-04A2B91C')) backend.current.play(hex);
    expect(log.presentations).toEqual([{ kind: 'card', readerId: 'r1', monoMs: expect.any(Number), value: '04A2B91C' }]);
    expect(log.warnings).toEqual([]);
    await reader.close();
    expect(backend.current.closed).toBe(true);
  });

  it('opens an explicit path without enumerating', async () => {
    const backend = new FakeHidBackend([]);
    const reader = await wedge(backend, { vendorId: undefined, productId: undefined, path: '/dev/hidraw7' });
    await reader.start();
    expect(backend.openAttempts).toEqual(['/dev/hidraw7']);
    await reader.close();
  });

  it('ignores garbage with logged warnings and no presentation, and does not crash', async () => {
    const lines: Array<{ level: number; msg: string; ns: string; reader: string }> = [];
    const capturing = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const backend = new FakeHidBackend(devices);
    const cfg = ReaderConfigSchema.parse({ driver: 'hid-wedge', id: 'r1', door: 'main', vendorId: 0xffff });
    const reader = await createReader(cfg, { logger: capturing, hid: backend, monoNow: () => Date.now() });
    const log = record(reader);
    await reader.start();
    for (const hex of ['00', 'ffffffffffffffffffff', '0000ff0000000000', '0000280000000000']) backend.current.play(hex);
    expect(log.presentations).toEqual([]);
    expect(log.warnings).toEqual([expect.stringMatching(/1 bytes/u), expect.stringMatching(/10 bytes/u), expect.stringMatching(/invalid key code 0xff/u)]);
    expect(lines.map((l) => [l.level, l.ns, l.reader, l.msg])).toEqual(log.warnings.map((w) => [40, 'hid-wedge', 'r1', w]));
    await reader.close();
  });

  it('a card line that is not a UID in the configured format is a warning', async () => {
    const backend = new FakeHidBackend(devices);
    const reader = await wedge(backend, { uidFormat: 'decimal' });
    const log = record(reader);
    await reader.start();
    for (const hex of fixtureReports('card-hex-04A2B91C')) backend.current.play(hex);
    expect(log.presentations).toEqual([]);
    expect(log.warnings).toEqual([expect.stringMatching(/not a decimal card UID/u)]);
    await reader.close();
  });

  it('drops a partial code after the inter-character timeout even without further reports', async () => {
    const backend = new FakeHidBackend(devices);
    const reader = await wedge(backend, { interCharTimeoutMs: 100 });
    const log = record(reader);
    await reader.start();
    backend.current.play('0000270000000000');
    backend.current.play('0000000000000000');
    await vi.advanceTimersByTimeAsync(150);
    expect(log.warnings).toEqual([expect.stringMatching(/partial code/u)]);
    backend.current.play('0000280000000000');
    expect(log.presentations).toEqual([]);
    await reader.close();
  });

  it('unplug: disconnected, reconnects with capped exponential back-off, reads again', async () => {
    const backend = new FakeHidBackend(devices);
    const reader = await wedge(backend, { kind: 'qr', reconnectMinMs: 500, reconnectMaxMs: 4000 });
    const log = record(reader);
    const delays: number[] = [];
    reader.on('retry', (ms: number) => delays.push(ms));
    await reader.start();
    backend.plugged = false;
    backend.current.emit('error', new Error('could not read from HID device'));
    expect(reader.status()).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(500 + 1000 + 2000 + 4000 + 4000);
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    backend.plugged = true;
    await vi.advanceTimersByTimeAsync(4000);
    expect(reader.status()).toBe('connected');
    expect(log.statuses).toEqual(['connected', 'disconnected', 'reconnecting', 'connected']);
    for (const hex of fixtureReports('qr-right-shift')) backend.current.play(hex);
    expect(log.presentations.map((p) => (p.kind === 'qr' ? p.value : null))).toEqual(['ESIK:V1:p-1029:Ff09']);
    await reader.close();
  });

  it('start() with the reader absent does not throw and keeps retrying', async () => {
    const backend = new FakeHidBackend(devices);
    backend.plugged = false;
    const reader = await wedge(backend);
    await expect(reader.start()).resolves.toBeUndefined();
    expect(reader.status()).toBe('reconnecting');
    backend.plugged = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(reader.status()).toBe('connected');
    await reader.close();
    expect(reader.status()).toBe('disconnected');
  });

  it('strips a configured report id and ignores reports with another id', async () => {
    const backend = new FakeHidBackend(devices);
    const reader = await wedge(backend, { reportId: 1 });
    const log = record(reader);
    await reader.start();
    backend.current.play('030000e900000000'); // report id 3: a consumer-control key, not ours
    for (const hex of fixtureReports('card-hex-04A2B91C')) backend.current.play(`01${hex}`);
    expect(log.presentations.map((p) => (p.kind === 'card' ? p.value : null))).toEqual(['04A2B91C']);
    expect(log.warnings).toEqual([]);
    await reader.close();
  });

  it('a partial code is dropped on unplug, not completed after reconnect', async () => {
    const backend = new FakeHidBackend(devices);
    const reader = await wedge(backend);
    const log = record(reader);
    await reader.start();
    backend.current.play('0000270000000000');
    backend.current.emit('error', new Error('unplugged'));
    await vi.advanceTimersByTimeAsync(500);
    backend.current.play('0000000000000000');
    backend.current.play('0000280000000000');
    expect(log.presentations).toEqual([]);
    expect(log.warnings).toEqual([expect.stringMatching(/disconnected/u)]);
    await reader.close();
  });
});
