// Which face the engine describes, on real LFW photos (read in place from ../shared/data, never
// copied): the face over the centre of a press photo rather than a bystander ('central'), and a
// second detector when the first one's box is so loose that the landmarks collapse into a blur.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_LANDMARK_FILL, createFaceEngine, landmarkFill, type Box, type DetailedFaceEngine } from '../../biometric/face/index.js';
import type { FaceExtraction } from '../../biometric/types.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');
const lfwDir = process.env.LFW_DIR ?? resolve(dataDir, 'lfw');
const lfw = (name: string, n: number) => readFile(resolve(lfwDir, 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`));
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i], 0);
// LFW images are 250x250, centred on the subject.
const overCentre = (box: Box) => box.x <= 125 && box.x + box.width >= 125 && box.y <= 125 && box.y + box.height >= 125;

function described(result: FaceExtraction): { descriptor: Float32Array; box: Box } {
  if (!result.ok) throw new Error(`expected a face, got ${result.reason}: ${result.detail}`);
  return result;
}

let largest: DetailedFaceEngine;
let central: DetailedFaceEngine;

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  largest = await createFaceEngine({ backend: 'wasm', logger, multipleFaces: 'largest', gate: false });
  central = await createFaceEngine({ backend: 'wasm', logger, multipleFaces: 'central', gate: false });
});

afterAll(async () => {
  await largest.close();
  await central.close();
});

describe('landmarkFill', () => {
  it('is the landmarks extent over the box width', () => {
    const landmarks = [{ x: 10, y: 10 }, { x: 90, y: 50 }];
    expect(landmarkFill({ box: { x: 0, y: 0, width: 100, height: 100 }, score: 1, landmarks })).toBeCloseTo(0.8);
    expect(landmarkFill({ box: { x: 0, y: 0, width: 200, height: 200 }, score: 1, landmarks })).toBeLessThan(MIN_LANDMARK_FILL);
    expect(landmarkFill({ box: { x: 0, y: 0, width: 100, height: 100 }, score: 1, landmarks: [] })).toBe(0);
  });
});

describe('the subject of a press photo', () => {
  it("describes the centred subject, not the bystander the fast detector finds instead (Woody Allen)", async () => {
    const photo = await lfw('Woody_Allen', 4);
    const reference = described(await central.extract(await lfw('Woody_Allen', 2))).descriptor;
    const bystander = described(await largest.extract(photo));
    const subject = described(await central.extract(photo));
    expect(overCentre(bystander.box)).toBe(false);
    expect(overCentre(subject.box)).toBe(true);
    expect(cosine(subject.descriptor, reference)).toBeGreaterThan(cosine(bystander.descriptor, reference) + 0.05);
  });

  it('takes the centred face of two, not the larger one (Julianna Margulies)', async () => {
    const photo = await lfw('Julianna_Margulies', 2);
    const reference = described(await central.extract(await lfw('Julianna_Margulies', 1))).descriptor;
    const big = described(await largest.extract(photo));
    const subject = described(await central.extract(photo));
    expect(subject.box.x).not.toBeCloseTo(big.box.x, 0);
    expect(cosine(subject.descriptor, reference)).toBeGreaterThan(cosine(big.descriptor, reference));
  });

  it('retries when the landmarks fill too little of the box (George HW Bush: a 198 px box)', async () => {
    const view = await largest.inspect(await lfw('George_HW_Bush', 2));
    expect(view.path).not.toBe('tiny');
    const face = described(view.extraction);
    const same = described(await largest.extract(await lfw('George_HW_Bush', 13))).descriptor;
    const other = described(await largest.extract(await lfw('Woody_Allen', 2))).descriptor;
    expect(cosine(face.descriptor, same)).toBeGreaterThan(cosine(face.descriptor, other));
    // With the loose box kept, the chip is a blur and this genuine pair scores 0.83, below the
    // cross-validated LFW threshold (0.91); described from the retry's box it clears it.
    expect(cosine(face.descriptor, same)).toBeGreaterThan(0.91);
    expect(largest.stats().byPath.tiny).toBeGreaterThan(0);
  });
});
