// The motion check on real landmarks from the real face pipeline. Different LFW photos of one person
// stand in for the frames of a live face (they differ by pose and expression, which is what the
// check looks for; consecutive video frames differ less). Against it: one photo replayed as frames,
// and one photo warped by random plane motions (rotation, scale, shift and a perspective tilt), as a
// printed photo moved in front of the camera. Photos are read from LFW_DIR at test time, never copied.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine, type DetailedFaceEngine } from '../../biometric/index.js';
import type { RawFrameInput } from '../../biometric/image/decode.js';
import { judgeMotion, type Point } from '../../biometric/liveness/index.js';
import { LFW_DIR, lfwPeople, rawRgb, randomPlaneMotion, seeded, warpFrame } from './liveness-frames.js';

const haveLfw = existsSync(join(LFW_DIR, 'images'));
let engine: DetailedFaceEngine;

async function landmarksOf(frame: RawFrameInput): Promise<readonly Point[] | null> {
  const extraction = await engine.extractFrame(frame);
  return extraction.ok && extraction.landmarks !== undefined ? extraction.landmarks : null;
}

async function sequence(frames: RawFrameInput[]): Promise<Array<readonly Point[]>> {
  const out: Array<readonly Point[]> = [];
  for (const frame of frames) {
    const landmarks = await landmarksOf(frame);
    if (landmarks !== null) out.push(landmarks);
  }
  return out;
}

beforeAll(async () => {
  if (!haveLfw) return;
  // The evaluation settings: LFW photos are press photos with bystanders; the subject is central.
  engine = await createFaceEngine({ backend: 'wasm', logger: pino({ level: 'silent' }), gate: false, multipleFaces: 'central' });
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

// Thresholds were chosen on another spread of LFW people (every 11th with 4+ photos); these are every 13th.
describe.skipIf(!haveLfw)('motion check on LFW', () => {
  it('rejects a still image replayed as frames, accepts real multi-image sequences, rejects a photo moved as a plane', async () => {
    const people = await lfwPeople(4, 12, 13);
    expect(people.length).toBe(12);
    const random = seeded(20261123);
    const verdicts = { real: [] as string[], still: [] as string[], warped: [] as string[] };
    for (const person of people) {
      const photos = await Promise.all(person.files.slice(0, 4).map(rawRgb));
      const first = photos[0];
      const real = await sequence(photos);
      const still = await sequence([first, first, first, first]);
      const warped = await sequence([first, ...[1, 2, 3].map(() => warpFrame(first, randomPlaneMotion(random, first.width, first.height)))]);
      expect(real.length, person.name).toBeGreaterThanOrEqual(3);
      expect(warped.length, person.name).toBeGreaterThanOrEqual(3);
      verdicts.real.push(`${person.name}:${judgeMotion(real).verdict}`);
      verdicts.still.push(`${person.name}:${judgeMotion(still).verdict}`);
      verdicts.warped.push(`${person.name}:${judgeMotion(warped).verdict}`);
    }
    expect(verdicts.still.filter((v) => !v.endsWith(':still'))).toEqual([]);
    expect(verdicts.warped.filter((v) => !v.endsWith(':planar'))).toEqual([]);
    expect(verdicts.real.filter((v) => !v.endsWith(':live'))).toEqual([]);
  }, 300_000);

  it('two frames are enough to judge; one is not', async () => {
    const [person] = await lfwPeople(4, 1, 13);
    const photos = await Promise.all(person.files.slice(0, 2).map(rawRgb));
    const real = await sequence(photos);
    expect(judgeMotion(real).verdict).toBe('live');
    expect(judgeMotion(real.slice(0, 1)).verdict).toBe('insufficient');
  }, 120_000);
});
