// The face engine on its worker thread: the same descriptors as in-process on real photos (read in
// place from ../shared/data), bad images answered with a reason, a model folder that cannot load
// refused at start with the reason, and the life cycle against a stand-in worker script (a crash
// fails only the frame in flight, the worker comes back, close ends it).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine } from '../../../biometric/face/index.js';
import type { FaceEngine, FaceExtraction } from '../../../biometric/types.js';
import { WorkerFaceEngine } from '../../../device/biometric/face-worker.js';
import { tempDir } from '../../sync/helpers.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../../shared/data');
const bbt = (name: string, n: number) => readFile(resolve(dataDir, 'faces-bbt/examples', name, `${name}${n}.png`));
const silent = pino({ level: 'silent' });
const FAKE_WORKER = new URL('./fake-face-worker.mjs', import.meta.url);

function descriptorOf(extraction: FaceExtraction): Float32Array {
  if (!extraction.ok) throw new Error(`no descriptor: ${extraction.reason} ${extraction.detail}`);
  return extraction.descriptor;
}

describe('WorkerFaceEngine on the real models', () => {
  let worker: WorkerFaceEngine;
  let inProcess: FaceEngine;

  beforeAll(async () => {
    [worker, inProcess] = await Promise.all([WorkerFaceEngine.start({ backend: 'wasm', logger: silent }), createFaceEngine({ backend: 'wasm', logger: silent })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.close(), inProcess?.close()]);
  });

  it('gives the descriptors the in-process engine gives, and says its backend and model', async () => {
    expect(worker.backend).toBe('wasm');
    expect(worker.algo).toBe(inProcess.algo);
    for (const [name, n] of [['amy', 1], ['sheldon', 2], ['raj', 3]] as const) {
      const image = await bbt(name, n);
      const [threaded, local] = await Promise.all([worker.extract(image), inProcess.extract(image)]);
      const a = descriptorOf(threaded);
      const b = descriptorOf(local);
      expect(a).toHaveLength(128);
      expect(a.reduce((sum, v, i) => sum + v * b[i], 0)).toBeGreaterThan(0.9999);
    }
  }, 60_000);

  it('answers bad images with a reason, and keeps serving', async () => {
    expect(await worker.extract(Buffer.from('not an image at all'))).toMatchObject({ ok: false, reason: 'not_an_image' });
    expect(await worker.extract(Buffer.alloc(0))).toMatchObject({ ok: false });
    expect((await worker.extract(await bbt('penny', 1))).ok).toBe(true);
  }, 60_000);
});

describe('WorkerFaceEngine with the kiosk detector settings (320 px, no SSD)', () => {
  it('passes them to the worker: a frame without a face was tried without SSD, a face is still found', async () => {
    const engine = await WorkerFaceEngine.start({ backend: 'wasm', logger: silent, detector: { tinyInputSize: 320, ssd: false } });
    try {
      const grey = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer();
      const none = await engine.extract(grey);
      expect(none).toMatchObject({ ok: false, reason: 'no_face' });
      expect(!none.ok && none.detail).toMatch(/tiny detector at two sizes, padded frame/);
      expect((await engine.extract(await bbt('leonard', 1))).ok).toBe(true);
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('WorkerFaceEngine life cycle', () => {
  it('refuses to start when the models cannot load, with the reason', async () => {
    const dir = await tempDir();
    try {
      const started = WorkerFaceEngine.start({ backend: 'wasm', modelDir: dir.dir, logger: silent });
      await expect(started).rejects.toThrow(/ENOENT|no such file|manifest/i);
    } finally {
      await dir.cleanup();
    }
  }, 60_000);

  it('a crash fails the frames in flight only; the worker is started again and serves', async () => {
    const engine = await WorkerFaceEngine.start({ backend: 'wasm', logger: silent, script: FAKE_WORKER, restartBackoff: { baseMs: 50, capMs: 50 } });
    try {
      const firstThread = engine.algo;
      expect(await engine.extract(Buffer.from('frame'))).toMatchObject({ ok: false, reason: 'no_face' });
      const hung = engine.extract(Buffer.from('hang'));
      const crashed = engine.extract(Buffer.from('crash'));
      await expect(crashed).rejects.toThrow(/face worker exited \(code 3\)/);
      await expect(hung).rejects.toThrow(/face worker exited/);
      await expect(engine.extract(Buffer.from('frame'))).rejects.toThrow(/restarting/);
      const deadline = Date.now() + 5000;
      while (engine.algo === firstThread && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(engine.algo).not.toBe(firstThread);
      expect(await engine.extract(Buffer.from('frame'))).toMatchObject({ ok: false, reason: 'no_face', detail: '5 bytes' });
    } finally {
      await engine.close();
    }
    await expect(engine.extract(Buffer.from('frame'))).rejects.toThrow(/closed/);
  });

  it('restarts a worker that keeps crashing on the shared back-off: doubling, then capped', async () => {
    const restartsInMs: number[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => {
      const record = JSON.parse(line) as { restartInMs?: number };
      if (record.restartInMs !== undefined) restartsInMs.push(record.restartInMs);
    } });
    const engine = await WorkerFaceEngine.start({ backend: 'wasm', logger, script: FAKE_WORKER, restartBackoff: { baseMs: 20, capMs: 60 } });
    try {
      for (let crash = 1; crash <= 4; crash++) {
        const thread = engine.algo;
        await expect(engine.extract(Buffer.from('crash'))).rejects.toThrow(/face worker exited/);
        const deadline = Date.now() + 5000;
        while (engine.algo === thread && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(engine.algo).not.toBe(thread);
      }
      expect(restartsInMs).toEqual([20, 40, 60, 60]);
    } finally {
      await engine.close();
    }
  });

  it('starts the back-off afresh after a worker stayed up long enough', async () => {
    const restartsInMs: number[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => {
      const record = JSON.parse(line) as { restartInMs?: number };
      if (record.restartInMs !== undefined) restartsInMs.push(record.restartInMs);
    } });
    const engine = await WorkerFaceEngine.start({ backend: 'wasm', logger, script: FAKE_WORKER, restartBackoff: { baseMs: 20, capMs: 80 }, stableAfterMs: 1500 });
    const crashAndReturn = async (): Promise<void> => {
      const thread = engine.algo;
      await expect(engine.extract(Buffer.from('crash'))).rejects.toThrow(/face worker exited/);
      const deadline = Date.now() + 5000;
      while (engine.algo === thread && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(engine.algo).not.toBe(thread);
    };
    try {
      await crashAndReturn();
      await crashAndReturn();
      await crashAndReturn();
      // Up for longer than stableAfterMs: the next crash is treated as the first one.
      await new Promise((r) => setTimeout(r, 1700));
      await crashAndReturn();
      expect(restartsInMs).toEqual([20, 40, 80, 20]);
    } finally {
      await engine.close();
    }
  });

  it('passes a copy of the bytes: the caller keeps its buffer', async () => {
    const engine = await WorkerFaceEngine.start({ backend: 'wasm', logger: silent, script: FAKE_WORKER });
    try {
      const image = Buffer.from('a frame from a pooled buffer');
      await engine.extract(image);
      expect(image.toString()).toBe('a frame from a pooled buffer');
    } finally {
      await engine.close();
    }
  });
});
