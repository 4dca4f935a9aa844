// k-fold cross-validated threshold selection, the LFW View-2 protocol: for each fold, the threshold
// is chosen on the other folds (best accuracy) and accuracy is measured on the held-out fold, so the
// reported accuracy never uses a threshold fitted to the pairs it is scored on.
import { bestAccuracyThreshold, rateAt, thresholdForFar, equalErrorRate } from './metrics.js';
import type { EqualErrorRate, LabelledScore, OperatingPoint } from './metrics.js';

export interface FoldResult {
  fold: number;
  /** Chosen on the other folds. */
  threshold: number;
  /** Measured on this fold. */
  accuracy: number;
  far: number;
  frr: number;
}

export interface CrossValidation {
  folds: FoldResult[];
  meanAccuracy: number;
  /** Sample standard deviation across folds (LFW reports mean ± this). */
  stdAccuracy: number;
  /** Mean of the per-fold thresholds: the value to deploy. */
  threshold: number;
}

/** Splits items into k contiguous folds of near-equal size (LFW files are already fold-ordered). */
export function splitIntoFolds<T>(items: readonly T[], k: number): T[][] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`k-fold needs an integer k >= 2, got ${k}`);
  if (items.length < k) throw new Error(`cannot split ${items.length} items into ${k} folds`);
  const folds: T[][] = [];
  for (let i = 0; i < k; i++) {
    folds.push(items.slice(Math.floor((i * items.length) / k), Math.floor(((i + 1) * items.length) / k)));
  }
  return folds;
}

export function crossValidateThreshold(folds: ReadonlyArray<readonly LabelledScore[]>): CrossValidation {
  if (folds.length < 2) throw new Error(`cross-validation needs at least 2 folds, got ${folds.length}`);
  const results: FoldResult[] = folds.map((held, fold) => {
    const training = folds.filter((_, i) => i !== fold).flat();
    const { threshold } = bestAccuracyThreshold(training);
    const measured = rateAt(held, threshold);
    return { fold, threshold, accuracy: measured.accuracy, far: measured.far, frr: measured.frr };
  });
  const accuracies = results.map((r) => r.accuracy);
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const variance = accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / (accuracies.length - 1);
  const threshold = results.reduce((a, r) => a + r.threshold, 0) / results.length;
  return { folds: results, meanAccuracy: mean, stdAccuracy: Math.sqrt(variance), threshold };
}

export interface CalibrationReport {
  genuinePairs: number;
  impostorPairs: number;
  targetFar: number;
  /** The operating point at the target FAR: the threshold to put in config. */
  atTargetFar: OperatingPoint & { measurable: boolean };
  bestAccuracy: OperatingPoint;
  equalError: EqualErrorRate;
  /** Present when folds were given. */
  crossValidation?: CrossValidation;
}

/** Everything `esik biometric calibrate` and `npm run eval:lfw` print, from one set of scores. */
export function calibrate(
  scores: readonly LabelledScore[],
  options: { targetFar: number; folds?: ReadonlyArray<readonly LabelledScore[]> },
): CalibrationReport {
  const genuinePairs = scores.filter((s) => s.genuine).length;
  const report: CalibrationReport = {
    genuinePairs,
    impostorPairs: scores.length - genuinePairs,
    targetFar: options.targetFar,
    atTargetFar: thresholdForFar(scores, options.targetFar),
    bestAccuracy: bestAccuracyThreshold(scores),
    equalError: equalErrorRate(scores),
  };
  if (options.folds !== undefined) report.crossValidation = crossValidateThreshold(options.folds);
  return report;
}
