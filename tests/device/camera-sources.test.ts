// FrameSource drivers against real transports: a real child process writing MJPEG to a pipe, a
// real folder, a real HTTP server on port 0. Frames are checked by decoding them with sharp.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderFrameSource, HttpSnapshotSource, MjpegSplitter, ProcessFrameSource } from '../../device/hw/camera/index.js';
import type { FrameSource } from '../../device/hw/types.js';

const logger = pino({ level: 'silent' });
const writer = resolve(import.meta.dirname, 'camera-mjpeg-writer.mjs');
const opened: FrameSource[] = [];
const jpeg = (colour: string, width = 32) => sharp({ create: { width, height: 24, channels: 3, background: colour } }).jpeg().toBuffer();

function collect(source: FrameSource, count: number, deadlineMs = 20_000): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${frames.length}/${count} frames before the deadline`)), deadlineMs);
    source.on('frame', (frame: Buffer) => {
      frames.push(frame);
      if (frames.length === count) {
        clearTimeout(timer);
        resolvePromise(frames);
      }
    });
  });
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('MjpegSplitter', () => {
  it('splits byte-by-byte input, skips garbage and drops a truncated frame', async () => {
    const [a, b, c] = [await jpeg('#f00'), await jpeg('#0f0', 40), await jpeg('#00f', 48)];
    const stream = Buffer.concat([Buffer.from('noise\xff\xd8 not a frame', 'latin1'), a, b.subarray(0, b.length - 40), c]);
    const frames: Buffer[] = [];
    const discarded: string[] = [];
    const splitter = new MjpegSplitter({ onFrame: (f) => frames.push(f), onDiscard: (_n, why) => discarded.push(why) });
    for (const byte of stream) splitter.push(Buffer.from([byte]));
    expect(frames.map((f) => f.equals(a) || f.equals(c))).toEqual([true, true]);
    expect(frames[1].equals(c)).toBe(true);
    expect(discarded.some((w) => /outside/.test(w))).toBe(true);
    expect(discarded.some((w) => /truncated|corrupt/.test(w))).toBe(true);
    expect(splitter.bufferedBytes()).toBeLessThan(4);
  });

  it('keeps its buffer bounded when a frame never ends', async () => {
    const frames: Buffer[] = [];
    const splitter = new MjpegSplitter({ maxFrameBytes: 10_000, onFrame: (f) => frames.push(f) });
    const started = await jpeg('#f00');
    splitter.push(started.subarray(0, started.length - 2)); // everything but the EOI marker
    for (let i = 0; i < 100; i += 1) splitter.push(Buffer.alloc(1000, 0x11));
    expect(splitter.bufferedBytes()).toBeLessThanOrEqual(11_000);
    const good = await jpeg('#0f0');
    splitter.push(good);
    expect(frames).toHaveLength(1);
    expect(frames[0].equals(good)).toBe(true);
  });
});

describe('ProcessFrameSource', () => {
  it('reads frames from a real child process, survives garbage and a cut frame, restarts it when it exits', async () => {
    const source = new ProcessFrameSource({
      id: 'cam-test',
      command: process.execPath,
      args: [writer, '2'],
      logger,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    opened.push(source);
    const statuses: string[] = [];
    const warnings: string[] = [];
    source.on('status', (s: string) => statuses.push(s));
    source.on('warning', (w: string) => warnings.push(w));
    const pending = collect(source, 8);
    await source.start();
    const frames = await pending;
    // Each run writes frames 0, 1, (2 cut in half), 3, 4: four whole frames per run, two runs.
    const widths = await Promise.all(frames.map(async (f) => (await sharp(f).metadata()).width));
    expect(widths).toEqual([64, 72, 88, 96, 64, 72, 88, 96]);
    expect(statuses).toContain('connected');
    expect(statuses).toContain('reconnecting');
    expect(warnings.some((w) => /outside any JPEG/.test(w))).toBe(true);
    expect(warnings.some((w) => /truncated|corrupt/.test(w))).toBe(true);
  });

  it('reports reconnecting, not a crash, when the camera program does not exist', async () => {
    const source = new ProcessFrameSource({ id: 'cam-missing', command: '/nonexistent/rpicam-vid', args: [], logger, backoff: { initialMs: 20, maxMs: 40 } });
    opened.push(source);
    const status = new Promise<string>((r) => source.once('status', r));
    await source.start();
    expect(await status).toBe('reconnecting');
    await source.close();
    expect(source.status()).toBe('disconnected');
  });
});

describe('FolderFrameSource', () => {
  it('cycles the images of a folder in name order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esik-cam-'));
    try {
      await writeFile(join(dir, 'a.jpg'), await jpeg('#f00', 16));
      await writeFile(join(dir, 'b.png'), await sharp(await jpeg('#0f0', 24)).png().toBuffer());
      await writeFile(join(dir, 'notes.txt'), 'not a frame');
      const source = new FolderFrameSource({ id: 'folder', dir, intervalMs: 10, logger });
      opened.push(source);
      const pending = collect(source, 4);
      await source.start();
      const widths = await Promise.all((await pending).map(async (f) => (await sharp(f).metadata()).width));
      expect(widths).toEqual([16, 24, 16, 24]);
      expect(source.status()).toBe('connected');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('HttpSnapshotSource', () => {
  let server: FastifyInstance | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('polls a snapshot URL, backs off on errors and recovers', async () => {
    const frame = await jpeg('#00f', 20);
    let calls = 0;
    server = Fastify();
    server.get('/snapshot.jpg', async (_req, reply) => {
      calls += 1;
      if (calls <= 2) return reply.code(503).send('warming up');
      return reply.type('image/jpeg').send(frame);
    });
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    const source = new HttpSnapshotSource({ id: 'ipcam', url: `${address}/snapshot.jpg`, intervalMs: 10, logger, backoff: { initialMs: 10, maxMs: 50 } });
    opened.push(source);
    const statuses: string[] = [];
    source.on('status', (s: string) => statuses.push(s));
    const frames = collect(source, 2);
    await source.start();
    const [first] = await frames;
    expect(first.equals(frame)).toBe(true);
    expect(statuses.slice(0, 2)).toEqual(['reconnecting', 'connected']);
  });

  it('refuses a snapshot larger than maxBytes', async () => {
    server = Fastify();
    server.get('/big', async (_req, reply) => reply.type('image/jpeg').send(Buffer.alloc(50_000, 1)));
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    const source = new HttpSnapshotSource({ id: 'big', url: `${address}/big`, intervalMs: 10, maxBytes: 10_000, logger });
    opened.push(source);
    const warning = new Promise<string>((r) => source.once('warning', r));
    let got = 0;
    source.on('frame', () => (got += 1));
    await source.start();
    expect(await warning).toMatch(/exceeds 10000/);
    expect(got).toBe(0);
  });
});
