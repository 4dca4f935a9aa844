// Verification error rates from labelled comparison scores. Scores are similarities (higher is
// closer) and a pair is accepted when score >= threshold, the convention the matcher uses.
// Every function sorts once and sweeps, so a 6,000-pair LFW protocol costs milliseconds.

export interface LabelledScore {
  score: number;
  /** True when both sides belong to the same person. */
  genuine: boolean;
}

export interface OperatingPoint {
  threshold: number;
  /** Impostor pairs accepted / impostor pairs. */
  far: number;
  /** Genuine pairs rejected / genuine pairs. */
  frr: number;
  /** 1 - FRR: genuine pairs accepted / genuine pairs. */
  tar: number;
  /** Correct decisions / all pairs. */
  accuracy: number;
}

export interface EqualErrorRate {
  eer: number;
  threshold: number;
}

function counts(scores: readonly LabelledScore[]): { genuine: number; impostor: number } {
  let genuine = 0;
  for (const s of scores) if (s.genuine) genuine++;
  return { genuine, impostor: scores.length - genuine };
}

function assertUsable(scores: readonly LabelledScore[]): void {
  const { genuine, impostor } = counts(scores);
  if (genuine === 0 || impostor === 0) {
    throw new Error(`calibration needs genuine and impostor scores (got ${genuine} genuine, ${impostor} impostor)`);
  }
  for (const s of scores) {
    if (!Number.isFinite(s.score)) throw new Error(`calibration score is not a finite number: ${String(s.score)}`);
  }
}

/**
 * FAR, FRR, TAR and accuracy when accepting score >= threshold. A held-out fold may hold one class
 * only; the rate of the missing class is then 0.
 */
export function rateAt(scores: readonly LabelledScore[], threshold: number): OperatingPoint {
  if (scores.length === 0) throw new Error('no scores to rate');
  const { genuine, impostor } = counts(scores);
  let falseAccepts = 0;
  let falseRejects = 0;
  for (const s of scores) {
    const accepted = s.score >= threshold;
    if (s.genuine && !accepted) falseRejects++;
    if (!s.genuine && accepted) falseAccepts++;
  }
  const far = impostor === 0 ? 0 : falseAccepts / impostor;
  const frr = genuine === 0 ? 0 : falseRejects / genuine;
  return { threshold, far, frr, tar: 1 - frr, accuracy: 1 - (falseAccepts + falseRejects) / scores.length };
}

/**
 * Candidate thresholds: midpoints between consecutive distinct scores, plus one below the lowest
 * and one above the highest. Midpoints rather than the scores themselves so a threshold chosen on
 * one fold does not sit exactly on a training score and generalises symmetrically.
 */
function candidateThresholds(scores: readonly LabelledScore[]): number[] {
  const sorted = scores.map((s) => s.score).sort((a, b) => a - b);
  const out: number[] = [sorted[0] - 1e-6];
  for (let i = 1; i < sorted.length; i++) {
    const lo = sorted[i - 1];
    const hi = sorted[i];
    if (hi > lo) out.push((lo + hi) / 2);
  }
  out.push(sorted[sorted.length - 1] + 1e-6);
  return out;
}

/**
 * Every candidate threshold in ascending order with its operating point, from running counts over
 * the sorted scores: O(n log n) overall.
 */
export function operatingCurve(scores: readonly LabelledScore[]): OperatingPoint[] {
  assertUsable(scores);
  const { genuine, impostor } = counts(scores);
  const sorted = [...scores].sort((a, b) => a.score - b.score);
  const curve: OperatingPoint[] = [];
  let index = 0;
  let rejectedGenuine = 0;
  let rejectedImpostor = 0;
  for (const threshold of candidateThresholds(scores)) {
    while (index < sorted.length && sorted[index].score < threshold) {
      if (sorted[index].genuine) rejectedGenuine++;
      else rejectedImpostor++;
      index++;
    }
    const far = (impostor - rejectedImpostor) / impostor;
    const frr = rejectedGenuine / genuine;
    const errors = impostor - rejectedImpostor + rejectedGenuine;
    curve.push({ threshold, far, frr, tar: 1 - frr, accuracy: 1 - errors / scores.length });
  }
  return curve;
}

/**
 * The threshold with the highest accuracy. When several consecutive candidates tie, the middle of
 * that plateau: the choice with the most room on both sides for unseen data.
 */
export function bestAccuracyThreshold(scores: readonly LabelledScore[]): OperatingPoint {
  const curve = operatingCurve(scores);
  let bestIndex = 0;
  let plateauEnd = 0;
  for (let i = 1; i < curve.length; i++) {
    const accuracy = curve[i].accuracy;
    if (accuracy > curve[bestIndex].accuracy) {
      bestIndex = i;
      plateauEnd = i;
    } else if (accuracy === curve[bestIndex].accuracy && plateauEnd === i - 1) {
      plateauEnd = i;
    }
  }
  if (plateauEnd === bestIndex) return curve[bestIndex];
  return rateAt(scores, (curve[bestIndex].threshold + curve[plateauEnd].threshold) / 2);
}

/**
 * The lowest threshold whose FAR does not exceed `targetFar`, i.e. the best TAR the data allow at
 * that FAR. With n impostor pairs a FAR below 1/n cannot be measured: the result is then the
 * zero-false-accept threshold, and `measurable` is false.
 */
export function thresholdForFar(
  scores: readonly LabelledScore[],
  targetFar: number,
): OperatingPoint & { measurable: boolean } {
  if (!(targetFar >= 0 && targetFar <= 1)) throw new Error(`target FAR must lie in [0, 1], got ${targetFar}`);
  const { impostor } = counts(scores);
  // The highest candidate accepts nothing (FAR 0), so a point is always found.
  const point = operatingCurve(scores).find((p) => p.far <= targetFar)!;
  return { ...point, measurable: targetFar * impostor >= 1 };
}

/** Equal error rate: the operating point where FAR and FRR are closest, reported as their mean. */
export function equalErrorRate(scores: readonly LabelledScore[]): EqualErrorRate {
  let best: OperatingPoint | undefined;
  for (const point of operatingCurve(scores)) {
    if (best === undefined || Math.abs(point.far - point.frr) < Math.abs(best.far - best.frr)) best = point;
  }
  // operatingCurve always has at least two points.
  return { eer: (best!.far + best!.frr) / 2, threshold: best!.threshold };
}
