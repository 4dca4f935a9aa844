// Frame decoding on real photos and on every kind of bad input a camera or an upload can deliver.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../biometric/image/index.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');
const lfwImage = (name: string, n: number) =>
  resolve(process.env.LFW_DIR ?? resolve(dataDir, 'lfw'), 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`);

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid, tiny (tens of KB) 1-bit greyscale PNG declaring side x side pixels. */
function hugePng(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(side / 8);
  const idat = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

describe('decodeFrame', () => {
  it('decodes an LFW JPEG to packed 8-bit RGB', async () => {
    const result = await decodeFrame(await readFile(lfwImage('Abel_Pacheco', 1)));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.frame.width).toBe(250);
    expect(result.frame.height).toBe(250);
    expect(result.frame.data.length).toBe(250 * 250 * 3);
  });

  it('rejects zero bytes, random bytes and text as not_an_image', async () => {
    for (const input of [Buffer.alloc(0), randomBytes(4096), Buffer.from('hello, I am not a picture')]) {
      const result = await decodeFrame(input);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason).toBe('not_an_image');
        expect(result.detail.length).toBeGreaterThan(5);
      }
    }
  });

  it('rejects a truncated JPEG with a "truncated" detail', async () => {
    const jpeg = await readFile(lfwImage('Abel_Pacheco', 1));
    const result = await decodeFrame(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    expect(result).toMatchObject({ ok: false, reason: 'not_an_image' });
    if (!result.ok) expect(result.detail).toMatch(/truncated|corrupt/i);
  });

  it('refuses a 20000x20000 PNG from its header without allocating it', async () => {
    const png = hugePng(20_000);
    expect(png.length).toBeLessThan(200_000);
    const before = process.memoryUsage().rss;
    const result = await decodeFrame(png);
    const grownMb = (process.memoryUsage().rss - before) / 1e6;
    expect(result).toMatchObject({ ok: false, reason: 'image_too_large' });
    if (!result.ok) expect(result.detail).toContain('20000x20000');
    // Decoding it would need 1.2 GB of RGB; the refusal needs next to nothing.
    expect(grownMb).toBeLessThan(150);
  });

  it('converts a CMYK JPEG to sRGB with colours close to the original', async () => {
    const original = await decodeFrame(await readFile(lfwImage('Abel_Pacheco', 1)));
    const cmyk = await sharp(await readFile(lfwImage('Abel_Pacheco', 1))).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const converted = await decodeFrame(cmyk);
    expect(original.ok && converted.ok).toBe(true);
    if (!original.ok || !converted.ok) return;
    expect(converted.frame.data.length).toBe(original.frame.data.length);
    let diff = 0;
    for (let i = 0; i < original.frame.data.length; i += 1) diff += Math.abs(original.frame.data[i] - converted.frame.data[i]);
    expect(diff / original.frame.data.length).toBeLessThan(20);
  });

  it('expands a greyscale PNG to three equal channels', async () => {
    const grey = await readFile(resolve(dataDir, 'faces-bbt/examples/amy/amy1.png'));
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const result = await decodeFrame(grey);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.frame.data.length).toBe(150 * 150 * 3);
    const { data } = result.frame;
    expect(data[300]).toBe(data[301]);
    expect(data[301]).toBe(data[302]);
  });

  it('applies EXIF orientation', async () => {
    const upright = await sharp(await readFile(lfwImage('Abel_Pacheco', 1))).extract({ left: 0, top: 25, width: 250, height: 200 }).png().toBuffer();
    // Stored 90 degrees counter-clockwise, with orientation 6 ("rotate 90 clockwise to display").
    const stored = await sharp(upright).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(stored).metadata()).width).toBe(200);
    const result = await decodeFrame(stored);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([result.frame.width, result.frame.height]).toEqual([250, 200]);
    const reference = await sharp(upright).removeAlpha().raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < reference.length; i += 1) diff += Math.abs(reference[i] - result.frame.data[i]);
    expect(diff / reference.length).toBeLessThan(10);
  });

  it('downscales large frames to the configured longest side', async () => {
    const big = await sharp(await readFile(lfwImage('Abel_Pacheco', 1))).resize(3000, 2000, { fit: 'fill' }).jpeg().toBuffer();
    const result = await decodeFrame(big, { maxSide: 1024 });
    expect(result.ok).toBe(true);
    if (result.ok) expect([result.frame.width, result.frame.height, result.sourceWidth]).toEqual([1024, 683, 3000]);
  });

  it('validates raw RGB frames by length', async () => {
    const good = await decodeFrame({ raw: Buffer.alloc(4 * 3 * 3, 7), width: 4, height: 3, channels: 3 });
    expect(good.ok).toBe(true);
    const bad = await decodeFrame({ raw: Buffer.alloc(10), width: 4, height: 3, channels: 3 });
    expect(bad).toMatchObject({ ok: false, reason: 'not_an_image' });
    const huge = await decodeFrame({ raw: Buffer.alloc(3), width: 10_000, height: 10_000, channels: 3 });
    expect(huge).toMatchObject({ ok: false, reason: 'image_too_large' });
  });
});
