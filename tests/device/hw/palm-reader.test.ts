import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HidBackend, HidHandle } from '../../../device/hw/deps.js';
import { crc16, encodePalmReports, PalmFrameDecoder } from '../../../device/hw/hid/palm-frame.js';
import { createReader, HidPalmReader, ReaderConfigSchema, type Presentation } from '../../../device/hw/index.js';

const logger = pino({ level: 'silent' });

class FakeHandle extends EventEmitter implements HidHandle {
  close(): void {}
}

function vectorOf(n: number, seed = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * seed) / 10);
}

describe('palm frame format', () => {
  it('CRC-16/CCITT-FALSE check value', () => {
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0x29b1);
  });

  it('decodes a 128-D vector split across 64-byte reports', () => {
    const vector = vectorOf(128);
    const reports = encodePalmReports(vector, 87);
    expect(reports).toHaveLength(Math.ceil((8 + 512 + 2) / 63));
    expect(reports.every((r) => r.length === 64)).toBe(true);
    const decoder = new PalmFrameDecoder(128);
    const out = reports.flatMap((r) => decoder.push(r));
    expect(out).toHaveLength(1);
    const [result] = out;
    if (result?.type !== 'vector') throw new Error('expected a vector');
    expect(result.quality).toBeCloseTo(0.87);
    expect([...result.vector]).toEqual([...vector]);
  });

  it('refuses a bad CRC, a wrong length, a wrong dimension and out-of-order chunks', () => {
    const reports = encodePalmReports(vectorOf(64), 50);
    const corrupt = reports.map((r) => Buffer.from(r));
    corrupt[2][10] ^= 0xff;
    const decoder = new PalmFrameDecoder();
    expect(corrupt.flatMap((r) => decoder.push(r))).toEqual([{ type: 'warning', message: expect.stringMatching(/CRC/u) }]);
    expect(decoder.push(Buffer.alloc(63))).toEqual([{ type: 'warning', message: expect.stringMatching(/63 bytes/u) }]);
    expect(new PalmFrameDecoder(128).push(reports[0])).toEqual([{ type: 'warning', message: expect.stringMatching(/dimension 64/u) }]);
    const swapped = [reports[0], reports[2], reports[1]];
    expect(swapped.flatMap((r) => decoder.push(r))).toEqual([
      { type: 'warning', message: expect.stringMatching(/out of order/u) },
      { type: 'warning', message: expect.stringMatching(/without a frame start/u) },
    ]);
    // After all that garbage the next clean frame still decodes.
    expect(reports.flatMap((r) => decoder.push(r)).map((o) => o.type)).toEqual(['vector']);
  });

  it('refuses quality above 100 and non-finite values', () => {
    const decoder = new PalmFrameDecoder();
    expect(encodePalmReports(vectorOf(4), 101).flatMap((r) => decoder.push(r))).toEqual([{ type: 'warning', message: expect.stringMatching(/quality/u) }]);
    expect(encodePalmReports(Float32Array.from([1, Number.NaN]), 90).flatMap((r) => decoder.push(r))).toEqual([
      { type: 'warning', message: expect.stringMatching(/non-finite/u) },
    ]);
  });

  it('random reports never throw and never yield a vector', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 60, maxLength: 66 }), { maxLength: 40 }), (reports) => {
        const decoder = new PalmFrameDecoder();
        const out = reports.flatMap((r) => decoder.push(r));
        expect(out.filter((o) => o.type === 'vector')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('HidPalmReader', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers { kind: palm, vector, quality } and drops a frame whose reports stop', async () => {
    const handle = new FakeHandle();
    const backend: HidBackend = { devices: () => [{ vendorId: 0x2309, productId: 0x0606, path: '/dev/hidraw3' }], open: () => handle };
    const cfg = ReaderConfigSchema.parse({ driver: 'hid-palm', id: 'palm1', door: 'main', vendorId: 0x2309, dimension: 32, frameTimeoutMs: 200 });
    const reader = await createReader(cfg, { logger, hid: backend });
    expect(reader).toBeInstanceOf(HidPalmReader);
    const seen: Presentation[] = [];
    const warnings: string[] = [];
    reader.on('presentation', (p: Presentation) => seen.push(p));
    reader.on('warning', (w: string) => warnings.push(w));
    await reader.start();
    const reports = encodePalmReports(vectorOf(32, 3), 95);
    handle.emit('data', reports[0]);
    await vi.advanceTimersByTimeAsync(300);
    expect(warnings).toEqual([expect.stringMatching(/incomplete/u)]);
    for (const r of reports) handle.emit('data', r);
    expect(seen).toHaveLength(1);
    const [palm] = seen;
    if (palm?.kind !== 'palm') throw new Error('expected a palm presentation');
    expect(palm.readerId).toBe('palm1');
    expect(palm.quality).toBeCloseTo(0.95);
    expect(palm.vector).toHaveLength(32);
    await reader.close();
  });
});
