// Image intake: arbitrary bytes, and real JPEG/PNG files with a mutated header, go into the decode
// step. The answer is a rejection (not_an_image / image_too_large) or a decoded RGB frame of the
// size it claims — never a throw. Memory stays bounded: the declared size is checked before pixels
// are decoded, and frames are downscaled.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, type DecodeResult } from '../../biometric/image/index.js';
import { fuzzParams } from './seed.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');
const MAX_SIDE = 64;
const MAX_PIXELS = 4_000_000;

function checkResult(result: DecodeResult): void {
  if (!result.ok) {
    expect(['not_an_image', 'image_too_large']).toContain(result.reason);
    expect(result.detail.length).toBeGreaterThan(0);
    return;
  }
  const { frame } = result;
  expect(Math.max(frame.width, frame.height)).toBeLessThanOrEqual(MAX_SIDE);
  expect(frame.width).toBeGreaterThan(0);
  expect(frame.data.length).toBe(frame.width * frame.height * 3);
}

let seeds: Buffer[] = [];
beforeAll(async () => {
  // A real photo (made small, so each case stays cheap) in both container formats, plus a tiny PNG.
  const person = join(dataDir, 'faces-bbt', 'examples', 'amy');
  const file = (await readdir(person)).find((f) => /\.(jpe?g|png)$/i.test(f));
  if (file === undefined) throw new Error(`no example photo under ${person}`);
  const photo = await readFile(join(person, file));
  const small = sharp(photo).resize(48, 48, { fit: 'inside' });
  seeds = [await small.clone().jpeg({ quality: 70 }).toBuffer(), await small.clone().png().toBuffer(), await sharp({ create: { width: 4, height: 3, channels: 4, background: '#808080' } }).png().toBuffer()];
});

describe('fuzz: image intake (decode step)', () => {
  it('arbitrary bytes, also behind a JPEG or PNG signature: a rejection or a valid frame', async () => {
    const prefix = fc.constantFrom(Buffer.alloc(0), Buffer.from([0xff, 0xd8, 0xff]), Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('89504e470d0a1a0a', 'hex'));
    await fc.assert(
      fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 256 }), async (head, tail) => {
        checkResult(await decodeFrame(Buffer.concat([head, tail]), { maxSide: MAX_SIDE, maxInputPixels: MAX_PIXELS }));
      }),
      fuzzParams,
    );
  });

  it('real JPEG/PNG with mutated header bytes or truncated: a rejection or a valid frame, memory bounded', async () => {
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.array(fc.tuple(fc.nat({ max: 400 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, edits, cut) => {
          const image = Buffer.from(seeds[which]);
          for (const [at, value] of edits) image[at % image.length] = value;
          const input = cut === undefined ? image : image.subarray(0, cut % image.length);
          checkResult(await decodeFrame(input, { maxSide: MAX_SIDE, maxInputPixels: MAX_PIXELS }));
        },
      ),
      fuzzParams,
    );
    // A header declaring a huge image must be refused before pixels are allocated.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  });
});
