// The face engine on real photos (read in place from ../shared/data, never copied): identity
// separation, dlib alignment, EXIF and colourspace handling, the quality gate, bad input.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine, CHIP_SIZE, type DetailedFaceEngine, type Point } from '../../biometric/face/index.js';
import type { FaceExtraction } from '../../biometric/types.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');
const lfwDir = process.env.LFW_DIR ?? resolve(dataDir, 'lfw');
const lfw = (name: string, n: number) => readFile(resolve(lfwDir, 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`));
const bbt = (name: string, n: number) => readFile(resolve(dataDir, 'faces-bbt/examples', name, `${name}${n}.png`));

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i], 0);
const mean = (points: Point[]) => ({
  x: points.reduce((s, p) => s + p.x, 0) / points.length,
  y: points.reduce((s, p) => s + p.y, 0) / points.length,
});

function descriptorOf(result: FaceExtraction): Float32Array {
  if (!result.ok) throw new Error(`expected a face, got ${result.reason}: ${result.detail}`);
  return result.descriptor;
}

let engine: DetailedFaceEngine;

beforeAll(async () => {
  engine = await createFaceEngine({ backend: 'auto', logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await engine.close();
});

describe('face engine', () => {
  it('reports its backend and a unit-length 128-D descriptor', async () => {
    expect(['wasm', 'tensorflow']).toContain(engine.backend);
    const d = descriptorOf(await engine.extract(await lfw('Abel_Pacheco', 1)));
    expect(d.length).toBe(128);
    expect(Math.abs(cosine(d, d) - 1)).toBeLessThan(1e-4);
  });

  it('puts the same person closer than different people (LFW)', async () => {
    const people = ['Abel_Pacheco', 'Akhmed_Zakayev', 'Anders_Fogh_Rasmussen', 'Angela_Bassett'];
    const d = new Map<string, Float32Array[]>();
    for (const name of people) d.set(name, [descriptorOf(await engine.extract(await lfw(name, 1))), descriptorOf(await engine.extract(await lfw(name, 2)))]);
    for (const a of people) {
      const [a1, a2] = d.get(a)!;
      const same = cosine(a1, a2);
      for (const b of people.filter((p) => p !== a)) {
        expect(same).toBeGreaterThan(cosine(a1, d.get(b)![0]));
        expect(same).toBeGreaterThan(cosine(a2, d.get(b)![1]));
      }
    }
  });

  it('separates identities on the faces-bbt greyscale crops (mean intra > mean inter)', async () => {
    const names = ['amy', 'howard', 'penny', 'sheldon'];
    const d = new Map<string, Float32Array[]>();
    for (const name of names) {
      const list: Float32Array[] = [];
      for (let i = 1; i <= 3; i += 1) {
        const result = await engine.extract(await bbt(name, i));
        if (result.ok) list.push(result.descriptor);
      }
      expect(list.length).toBeGreaterThanOrEqual(2);
      d.set(name, list);
    }
    for (const name of names) {
      const own = d.get(name)!;
      const intra = cosine(own[0], own[1]);
      const inter = names.filter((n) => n !== name).map((n) => cosine(own[0], d.get(n)![0]));
      expect(intra).toBeGreaterThan(Math.max(...inter));
    }
  });

  it('aligns to a 150x150 chip with level eyes, even when the head is rotated 20 degrees', async () => {
    const upright = await lfw('Amber_Tamblyn', 1);
    const rotated = await sharp(upright).rotate(20, { background: '#808080' }).jpeg({ quality: 95 }).toBuffer();
    const a = await engine.inspect(upright);
    const b = await engine.inspect(rotated);
    for (const view of [a, b]) {
      expect(view.chip?.length).toBe(CHIP_SIZE * CHIP_SIZE * 3);
      const left = mean(view.chipLandmarks!.slice(36, 42));
      const right = mean(view.chipLandmarks!.slice(42, 48));
      expect(Math.abs(left.y - right.y)).toBeLessThan(3);
      expect(right.x - left.x).toBeGreaterThan(30);
    }
    // Same face, 20 degrees apart: the descriptors stay as close as two photos of one person.
    expect(cosine(descriptorOf(a.extraction), descriptorOf(b.extraction))).toBeGreaterThan(0.95);
  });

  it('handles an EXIF-rotated JPEG like the upright one', async () => {
    const upright = await lfw('Akhmed_Zakayev', 1);
    const stored = await sharp(upright).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const similarity = cosine(descriptorOf(await engine.extract(upright)), descriptorOf(await engine.extract(stored)));
    expect(similarity).toBeGreaterThan(0.97);
  });

  it('reads CMYK and greyscale photos of the same face', async () => {
    const original = await lfw('Abel_Pacheco', 1);
    const reference = descriptorOf(await engine.extract(original));
    const cmyk = await sharp(original).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const grey = await sharp(original).greyscale().png().toBuffer();
    expect(cosine(reference, descriptorOf(await engine.extract(cmyk)))).toBeGreaterThan(0.97);
    expect(cosine(reference, descriptorOf(await engine.extract(grey)))).toBeGreaterThan(0.93);
  });

  it('rejects two faces side by side as several_faces', async () => {
    const [left, right] = [await lfw('Abel_Pacheco', 1), await lfw('Amber_Tamblyn', 1)];
    const pair = await sharp({ create: { width: 500, height: 250, channels: 3, background: '#808080' } })
      .composite([{ input: left, left: 0, top: 0 }, { input: right, left: 250, top: 0 }])
      .jpeg()
      .toBuffer();
    const result = await engine.extract(pair);
    expect(result).toMatchObject({ ok: false, reason: 'several_faces' });
  });

  it('gates small, blurred and faceless frames with a reason', async () => {
    const photo = await lfw('Abel_Pacheco', 1);
    const small = await engine.extract(await sharp(photo).resize(60, 60).jpeg().toBuffer());
    expect(small).toMatchObject({ ok: false, reason: 'face_too_small' });
    const blurred = await engine.extract(await sharp(photo).blur(1.5).jpeg().toBuffer());
    expect(blurred.ok).toBe(false);
    if (!blurred.ok) expect(['blurry', 'low_quality']).toContain(blurred.reason);
    const wall = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#a0a0a0' } }).jpeg().toBuffer();
    expect(await engine.extract(wall)).toMatchObject({ ok: false, reason: 'no_face' });
  });

  it('rejects bad bytes with a reason and keeps working afterwards', async () => {
    const jpeg = await lfw('Abel_Pacheco', 1);
    const cases: Array<[Buffer, string]> = [
      [Buffer.alloc(0), 'not_an_image'],
      [randomBytes(10_000), 'not_an_image'],
      [jpeg.subarray(0, 3000), 'not_an_image'],
    ];
    for (const [bytes, reason] of cases) {
      const result = await engine.extract(bytes);
      expect(result).toMatchObject({ ok: false, reason });
    }
    expect((await engine.extract(jpeg)).ok).toBe(true);
    expect(engine.stats().byPath.tiny).toBeGreaterThan(0);
  });
});
