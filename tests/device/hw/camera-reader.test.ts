import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraReader, createReader, ReaderConfigSchema, type FrameSource, type FrameSourceEvents, type Presentation, type ReaderStatus } from '../../../device/hw/index.js';

const logger = pino({ level: 'silent' });
const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../../shared/data');
const faces = join(dataDir, 'faces-bbt', 'examples');

/** A transport-level camera: the test pushes frames and statuses by hand. */
class ManualSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  readonly id = 'manual';
  state: ReaderStatus = 'disconnected';
  start(): Promise<void> {
    this.state = 'connected';
    this.emit('status', 'connected');
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.state = 'disconnected';
    this.emit('status', 'disconnected');
    return Promise.resolve();
  }
  status(): ReaderStatus {
    return this.state;
  }
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('camera reader', () => {
  it('turns folder-camera frames into face presentations of those exact bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esik-cam-'));
    dirs.push(dir);
    await copyFile(join(faces, 'amy', 'amy1.png'), join(dir, 'a.png'));
    await copyFile(join(faces, 'raj', 'raj1.png'), join(dir, 'b.png'));
    const cfg = ReaderConfigSchema.parse({ driver: 'camera', id: 'cam1', door: 'main', source: { driver: 'folder', dir, intervalMs: 20 }, maxFps: 50 });
    expect(cfg).toMatchObject({ driver: 'camera', direction: 'in', maxFps: 50 });
    const reader = await createReader(cfg, { logger });
    expect(reader).toBeInstanceOf(CameraReader);
    const got: Presentation[] = [];
    const statuses: ReaderStatus[] = [];
    reader.on('presentation', (p: Presentation) => {
      got.push(p);
      reader.settled?.(p);
    });
    reader.on('status', (s: ReaderStatus) => statuses.push(s));
    await reader.start();
    await expect.poll(() => got.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    await reader.close();
    expect(statuses).toContain('connected');
    expect(reader.status()).toBe('disconnected');
    const [first, second] = got;
    expect(first?.kind).toBe('face');
    if (first?.kind !== 'face' || second?.kind !== 'face') throw new Error('not a face');
    expect(first.readerId).toBe('cam1');
    expect(first.image.equals(await readFile(join(faces, 'amy', 'amy1.png')))).toBe(true);
    expect(second.image.equals(await readFile(join(faces, 'raj', 'raj1.png')))).toBe(true);
  });

  it('rejects a camera reader config without a valid source', () => {
    expect(ReaderConfigSchema.safeParse({ driver: 'camera', id: 'c', door: 'main', source: { driver: 'folder' } }).success).toBe(false);
    expect(ReaderConfigSchema.safeParse({ driver: 'camera', id: 'c', door: 'main', source: { driver: 'folder', dir: '/x' }, maxFps: 0 }).success).toBe(false);
  });

  it('emits at most maxFps and keeps only the newest frame in between', async () => {
    let now = 0;
    const source = new ManualSource();
    const reader = new CameraReader({ id: 'cam', door: 'main', direction: 'in', source, maxFps: 5, monoNow: () => now });
    const got: Buffer[] = [];
    reader.on('presentation', (p: Presentation) => {
      if (p.kind === 'face') got.push(p.image);
      reader.settled();
    });
    await reader.start();
    expect(reader.status()).toBe('connected');
    source.emit('frame', Buffer.from('f0'));
    expect(got.map(String)).toEqual(['f0']);
    // A burst of 50 frames within one interval: none is emitted until the slot, then only the last.
    for (let i = 1; i <= 50; i++) source.emit('frame', Buffer.from(`f${i}`));
    expect(got.map(String)).toEqual(['f0']);
    now = 200;
    await new Promise((r) => setTimeout(r, 260));
    expect(got.map(String)).toEqual(['f0', 'f50']);
    source.emit('frame', Buffer.alloc(0));
    now = 1000;
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toHaveLength(2);
    await reader.close();
    source.emit('frame', Buffer.from('late'));
    expect(got).toHaveLength(2);
  });

  it('sends nothing more while a presentation is being decided, then only the newest frame', async () => {
    const source = new ManualSource();
    const reader = new CameraReader({ id: 'cam', door: 'main', direction: 'in', source, maxFps: 60, settleTimeoutMs: 300 });
    const got: string[] = [];
    reader.on('presentation', (p: Presentation) => {
      if (p.kind === 'face') got.push(String(p.image));
    });
    await reader.start();
    source.emit('frame', Buffer.from('a'));
    for (let i = 0; i < 20; i++) source.emit('frame', Buffer.from(`b${i}`));
    await new Promise((r) => setTimeout(r, 60));
    expect(got).toEqual(['a']);
    reader.settled();
    await new Promise((r) => setTimeout(r, 40));
    expect(got).toEqual(['a', 'b19']);
    // Never settled: the timeout releases the next frame, so a lost settle cannot blind the camera.
    source.emit('frame', Buffer.from('c'));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['a', 'b19']);
    await new Promise((r) => setTimeout(r, 400));
    expect(got).toEqual(['a', 'b19', 'c']);
    await reader.close();
  });

  it('mirrors the source status', async () => {
    const source = new ManualSource();
    const reader = new CameraReader({ id: 'cam', door: 'main', direction: 'out', source });
    const statuses: ReaderStatus[] = [];
    reader.on('status', (s: ReaderStatus) => statuses.push(s));
    await reader.start();
    source.state = 'reconnecting';
    source.emit('status', 'reconnecting');
    expect(reader.status()).toBe('reconnecting');
    await reader.close();
    expect(statuses).toEqual(['connected', 'reconnecting', 'disconnected']);
  });
});
