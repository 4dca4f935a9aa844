import { describe, expect, it } from 'vitest';
import {
  bestAccuracyThreshold,
  calibrate,
  crossValidateThreshold,
  equalErrorRate,
  parsePairsFile,
  rateAt,
  splitIntoFolds,
  thresholdForFar,
  type LabelledScore,
} from '../../biometric/calibrate/index.js';

function labelled(genuine: number[], impostor: number[]): LabelledScore[] {
  return [...genuine.map((score) => ({ score, genuine: true })), ...impostor.map((score) => ({ score, genuine: false }))];
}

/** Evenly spaced scores in [from, to] (deterministic stand-in for a distribution). */
function spread(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

describe('calibration maths', () => {
  it('separable scores: zero errors at the best threshold, which lies in the gap', () => {
    const scores = labelled([0.8, 0.9, 0.95], [0.1, 0.2, 0.3]);
    const best = bestAccuracyThreshold(scores);
    expect(best.accuracy).toBe(1);
    expect(best.threshold).toBeGreaterThan(0.3);
    expect(best.threshold).toBeLessThan(0.8);
    expect(equalErrorRate(scores).eer).toBe(0);
  });

  it('rateAt counts false accepts and rejects with score >= threshold accepted', () => {
    const scores = labelled([0.4, 0.6, 0.8, 0.9], [0.1, 0.5, 0.6]);
    const point = rateAt(scores, 0.6);
    expect(point.far).toBeCloseTo(1 / 3);
    expect(point.frr).toBeCloseTo(1 / 4);
    expect(point.tar).toBeCloseTo(3 / 4);
    expect(point.accuracy).toBeCloseTo(5 / 7);
  });

  it('threshold at a target FAR lets through exactly the allowed impostors', () => {
    // 1,000 impostors uniform on [0, 0.999], genuine uniform on [0.5, 1.5].
    const impostor = spread(0, 0.999, 1000);
    const genuine = spread(0.5, 1.5, 1001);
    const scores = labelled(genuine, impostor);
    const at = thresholdForFar(scores, 1e-2);
    expect(at.far).toBeCloseTo(0.01, 10);
    expect(at.measurable).toBe(true);
    // The 10 highest impostors are 0.990..0.999: the threshold sits between 0.989 and 0.990.
    expect(at.threshold).toBeGreaterThan(0.989);
    expect(at.threshold).toBeLessThanOrEqual(0.99);
    // Genuine scores below ~0.9895 are rejected: 490 of 1001 -> TAR ~ 0.51.
    expect(at.tar).toBeCloseTo(511 / 1001, 3);
    // A FAR below 1/n impostors cannot be measured: zero false accepts, flagged.
    const strict = thresholdForFar(scores, 1e-4);
    expect(strict.far).toBe(0);
    expect(strict.measurable).toBe(false);
    expect(strict.threshold).toBeGreaterThan(0.999);
  });

  it('equal error rate of overlapping uniform distributions', () => {
    // impostor U[0,1], genuine U[0.5,1.5]: FAR = 1-t, FRR = t-0.5 cross at t = 0.75, EER = 0.25.
    const scores = labelled(spread(0.5, 1.5, 2001), spread(0, 1, 2001));
    const eer = equalErrorRate(scores);
    expect(eer.eer).toBeCloseTo(0.25, 2);
    expect(eer.threshold).toBeCloseTo(0.75, 2);
    const best = bestAccuracyThreshold(scores);
    expect(best.accuracy).toBeCloseTo(0.75, 2);
  });

  it('refuses scores without both classes or with NaN', () => {
    expect(() => equalErrorRate(labelled([0.5], []))).toThrow(/genuine and impostor/);
    expect(() => rateAt([], 0.5)).toThrow(/no scores/);
    expect(() => equalErrorRate(labelled([Number.NaN], [0.1]))).toThrow(/finite/);
    expect(() => thresholdForFar(labelled([0.9], [0.1]), 2)).toThrow(/target FAR/);
  });

  it('k-fold cross-validation picks each threshold without the held-out fold', () => {
    const genuine = splitIntoFolds(spread(0.6, 1, 50), 5);
    const impostor = splitIntoFolds(spread(0, 0.5, 50), 5);
    expect(genuine).toHaveLength(5);
    expect(genuine.flat()).toHaveLength(50);
    const folds = genuine.map((g, i) => labelled(g, impostor[i]));
    // Make fold 0 different: its genuine pairs score low. Its threshold comes from folds 1-4 only.
    const skewed = [labelled([0.2, 0.25], [0.1]), ...folds.slice(1)];
    const cv = crossValidateThreshold(skewed);
    expect(cv.folds[0].threshold).toBeGreaterThan(0.5);
    expect(cv.folds[0].accuracy).toBeCloseTo(1 / 3);
    expect(cv.folds[0].frr).toBe(1);
    expect(cv.meanAccuracy).toBeLessThan(1);
    expect(cv.stdAccuracy).toBeGreaterThan(0);
    const report = calibrate(skewed.flat(), { targetFar: 1e-3, folds: skewed });
    expect(report.crossValidation?.folds).toHaveLength(5);
    expect(report.genuinePairs + report.impostorPairs).toBe(skewed.flat().length);
  });
});

describe('LFW pairs file', () => {
  it('parses folds, matched and mismatched pairs', () => {
    const text = '2\t1\nA\t1\t2\nB\t1\tC\t3\nD\t2\t4\nE\t1\tF\t1\n';
    const parsed = parsePairsFile(text);
    expect(parsed.folds).toBe(2);
    expect(parsed.pairs).toHaveLength(4);
    expect(parsed.pairs[0]).toEqual({ fold: 0, genuine: true, left: { name: 'A', index: 1 }, right: { name: 'A', index: 2 } });
    expect(parsed.pairs[3].fold).toBe(1);
    expect(parsed.pairs[3].genuine).toBe(false);
  });

  it('names the bad line instead of skipping it', () => {
    expect(() => parsePairsFile('1 1\nA 1 x\nB 1 C 1\n')).toThrow(/line 2/);
    expect(() => parsePairsFile('1 2\nA 1 2\nB 1 C 1\n')).toThrow(/declares/);
    expect(() => parsePairsFile('')).toThrow(/line 1/);
  });
});
