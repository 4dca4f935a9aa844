// Frames for the presentation-attack tests: LFW photos read from disk at test time (LFW_DIR, default
// ../shared/data/lfw; never copied into the repository), a photo warped by random plane motions as
// a printed photo moved in front of a camera would be, and seeded randomness so a failure repeats.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { RawFrameInput } from '../../biometric/image/decode.js';

export const LFW_DIR = resolve(process.env.LFW_DIR ?? resolve(import.meta.dirname, '../../../shared/data/lfw'));

/** People with at least `min` photos, in name order, every `stride`-th (a spread, not the first letters). */
export async function lfwPeople(min: number, count: number, stride = 7): Promise<Array<{ name: string; files: string[] }>> {
  const root = join(LFW_DIR, 'images');
  const names = (await readdir(root)).sort();
  const chosen: Array<{ name: string; files: string[] }> = [];
  for (let i = 0; i < names.length && chosen.length < count; i += 1) {
    const files = (await readdir(join(root, names[i]))).filter((f) => f.endsWith('.jpg')).sort();
    if (files.length >= min && chosen.length * stride <= i) chosen.push({ name: names[i], files: files.map((f) => join(root, names[i], f)) });
  }
  return chosen;
}

/** Mulberry32: a small seeded generator. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function rawRgb(file: string): Promise<RawFrameInput> {
  const { data, info } = await sharp(await readFile(file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { raw: data, width: info.width, height: info.height, channels: 3 };
}

/**
 * A random plane motion about the image centre: rotation up to ±12°, scale 0.85-1.15, shift up to
 * ±8% of the size, and a perspective tilt (the sheet turned up to about ±20° out of the image plane).
 */
export function randomPlaneMotion(random: () => number, width: number, height: number): number[] {
  const span = (s: number): number => (random() * 2 - 1) * s;
  const angle = span((12 * Math.PI) / 180);
  const scale = 1 + span(0.15);
  const tx = span(0.08 * width);
  const ty = span(0.08 * height);
  const px = span(0.0012);
  const py = span(0.0012);
  const cx = width / 2;
  const cy = height / 2;
  const c = Math.cos(angle) * scale;
  const s = Math.sin(angle) * scale;
  // Centre at the origin, rotate/scale/tilt, move back and shift.
  const a = [c, -s, 0, s, c, 0, px, py, 1];
  const toOrigin = [1, 0, -cx, 0, 1, -cy, 0, 0, 1];
  const back = [1, 0, cx + tx, 0, 1, cy + ty, 0, 0, 1];
  return mul(back, mul(a, toOrigin));
}

function mul(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r += 1) for (let col = 0; col < 3; col += 1) for (let k = 0; k < 3; k += 1) out[r * 3 + col] += a[r * 3 + k] * b[k * 3 + col];
  return out;
}

function invert(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  const inv = [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d];
  return inv.map((v) => v / det);
}

/** The frame as seen through the homography `h` (bilinear; outside the sheet is mid grey). */
export function warpFrame(frame: RawFrameInput, h: readonly number[]): RawFrameInput {
  const { width, height, raw } = frame;
  const inv = invert(h);
  const out = Buffer.alloc(width * height * 3, 128);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const w = inv[6] * x + inv[7] * y + inv[8];
      const sx = (inv[0] * x + inv[1] * y + inv[2]) / w;
      const sy = (inv[3] * x + inv[4] * y + inv[5]) / w;
      if (sx < 0 || sy < 0 || sx > width - 1 || sy > height - 1) continue;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < 3; ch += 1) {
        const v00 = raw[(y0 * width + x0) * 3 + ch];
        const v01 = raw[(y0 * width + x1) * 3 + ch];
        const v10 = raw[(y1 * width + x0) * 3 + ch];
        const v11 = raw[(y1 * width + x1) * 3 + ch];
        out[(y * width + x) * 3 + ch] = Math.round(v00 * (1 - fx) * (1 - fy) + v01 * fx * (1 - fy) + v10 * (1 - fx) * fy + v11 * fx * fy);
      }
    }
  }
  return { raw: out, width, height, channels: 3 };
}
