// The LFW protocol code: fold selection, failure accounting (a pair or probe without a face is an
// error, never skipped), identification counts. The engine is a FaceEngine given fixed vectors per
// image so the expected figures are known exactly; the real engine is covered in face-engine.test.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePairsFile } from '../../biometric/calibrate/index.js';
import { DescriptorCache } from '../../biometric/eval/descriptors.js';
import { openSetReport, pairImages, planIdentification, runIdentification, runVerification, selectPairs, thresholdForFar } from '../../biometric/eval/lfw.js';
import type { FaceEngine, FaceExtraction } from '../../biometric/types.js';

/** One axis per identity: same person = cosine 1, different people = cosine 0. `Nobody` has no face. */
function fixedEngine(people: string[]): FaceEngine {
  return {
    backend: 'test',
    algo: 'test',
    extract(image: Buffer): Promise<FaceExtraction> {
      const name = image.toString('utf8');
      if (name === 'Nobody') return Promise.resolve({ ok: false, reason: 'no_face', detail: 'none' });
      const v = new Float32Array(128);
      v[people.indexOf(name)] = 1;
      return Promise.resolve({ ok: true, descriptor: v, box: { x: 0, y: 0, width: 1, height: 1 }, quality: { detectorScore: 1, faceSizePx: 100, sharpness: 100, yawRatio: 0 }, timings: { decodeMs: 0, detectMs: 0, describeMs: 0 } });
    },
    close: () => Promise.resolve(),
  };
}

const people = ['Ann', 'Bob', 'Cid', 'Dan', 'Eve'];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esik-eval-'));
  // Every image's bytes are its identity's name; Nobody_0001 has no detectable face.
  const counts: Record<string, number> = { Ann: 3, Bob: 2, Cid: 2, Dan: 1, Eve: 1, Nobody: 2 };
  for (const [name, n] of Object.entries(counts)) {
    await mkdir(join(dir, name));
    for (let i = 1; i <= n; i += 1) await writeFile(join(dir, name, `${name}_${String(i).padStart(4, '0')}.jpg`), name);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pairsText = ['2 2', 'Ann 1 2', 'Bob 1 2', 'Ann 1 Bob 1', 'Cid 1 Dan 1', 'Ann 2 3', 'Nobody 1 2', 'Bob 2 Eve 1', 'Nobody 1 Ann 1'].join('\n');

describe('LFW verification protocol', () => {
  it('selects per-fold pairs and lists each image once', () => {
    const file = parsePairsFile(pairsText);
    const folds = selectPairs(file, 1);
    expect(folds.map((f) => f.length)).toEqual([2, 2]);
    expect(pairImages(selectPairs(file))).toContain('Nobody/Nobody_0002.jpg');
    expect(new Set(pairImages(selectPairs(file))).size).toBe(pairImages(selectPairs(file)).length);
  });

  it('counts pairs without a face as errors on both genuine and impostor sides', async () => {
    const cache = new DescriptorCache(fixedEngine(people), dir);
    const report = await runVerification(selectPairs(parsePairsFile(pairsText)), cache);
    expect(report.pairs).toBe(8);
    expect(report.failedPairs).toBe(2);
    // The second fold holds both failures (one genuine, one impostor): with the threshold learnt on
    // the clean first fold, its two describable pairs are right and the two failures are wrong.
    expect(report.foldAccuracies[1]).toBe(0.5);
    expect(report.accuracyMean).toBeLessThanOrEqual(0.75);
    expect(cache.failures()).toEqual({ no_face: 2 });
  });
});

describe('LFW identification protocol', () => {
  it('enrols one image per multi-image identity, probes the rest, and rejects never-enrolled people', async () => {
    const cache = new DescriptorCache(fixedEngine(people), dir);
    const plan = await planIdentification(dir);
    expect([...plan.gallery.keys()]).toEqual(['Ann', 'Bob', 'Cid', 'Nobody']);
    expect([...plan.impostors.keys()]).toEqual(['Dan', 'Eve']);
    const report = await runIdentification(plan, cache, 0.5, 'test');
    // Ann, Bob, Cid enrolled; Nobody cannot be (first image has no face, the last is kept as a probe).
    expect(report.enrolled).toBe(3);
    expect(report.enrolFailures).toBe(1);
    expect(report.genuineProbes).toBe(2 + 1 + 1 + 1);
    expect(report.probeFailures).toBe(1);
    expect(report.rank1).toBeCloseTo(4 / 5);
    expect(report.falseAcceptRate).toBe(0);
    expect(report.impostorProbes).toBe(2);
  });
});

describe('1:N threshold calibration', () => {
  it('picks the lowest threshold refusing all but the allowed share of calibration impostors', () => {
    const scores = Array.from({ length: 200 }, (_, i) => i / 200);
    const t = thresholdForFar(scores, 0.01);
    expect(scores.filter((s) => s >= t)).toHaveLength(2);
    expect(thresholdForFar([0.9], 0.01)).toBeGreaterThan(0.9);
  });

  it('calibrates on even impostors, measures on odd ones and counts genuine outcomes at that threshold', () => {
    // Even impostors top out at 0.50, odd ones reach 0.80: the held-out half shows the leak.
    const impostors = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0.5 * (i / 200) : i < 20 ? 0.8 : 0.1));
    const genuine = [
      { correct: true, score: 0.9 },
      { correct: true, score: 0.4 },
      { correct: false, score: 0.95 },
    ];
    const report = openSetReport(genuine, impostors, 4);
    expect(report.calibrationImpostors).toBe(100);
    expect(report.threshold).toBeGreaterThan(0.49);
    expect(report.heldOutFalseAcceptRate).toBeCloseTo(10 / 100);
    expect(report.trueAcceptRate).toBeCloseTo(1 / 4);
    expect(report.misidentificationRate).toBeCloseTo(1 / 4);
  });
});
