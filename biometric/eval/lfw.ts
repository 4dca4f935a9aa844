// The LFW protocols: View-2 verification with the threshold cross-validated across folds, TAR at a
// fixed FAR, and an open-set identification test (gallery of one image per identity, probes from
// the rest, impostors who were never enrolled). An image in which no face is found is an error
// against us: a genuine pair or probe that cannot be described is a false reject, an impostor pair
// that cannot be described is counted as a false accept, so detection failures never flatter.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { calibrate, lfwImagePath, type FacePair, type LabelledScore, type PairsFile } from '../calibrate/index.js';
import { FlatTemplateMatcher } from '../matcher/index.js';
import { cosine } from './descriptors.js';

/** What the protocols need of a descriptor cache (in-memory DescriptorCache or the on-disk DescriptorStore). */
export interface DescriptorSource {
  get(relativePath: string): Promise<{ ok: true; descriptor: Float32Array } | { ok: false }>;
}

export interface VerificationReport {
  pairs: number;
  failedPairs: number;
  accuracyMean: number;
  accuracySd: number;
  foldAccuracies: number[];
  threshold: number;
  tarAtFar1e3: number;
  farTarget: number;
  farMeasurable: boolean;
  thresholdAtFar1e3: number;
  eer: number;
}

/** Pairs of each fold, optionally only the first `limit` genuine and `limit` impostor pairs of each. */
export function selectPairs(file: PairsFile, limit?: number): FacePair[][] {
  const folds: FacePair[][] = [];
  for (let f = 0; f < file.folds; f += 1) {
    const inFold = file.pairs.filter((p) => p.fold === f);
    if (limit === undefined) folds.push(inFold);
    else folds.push([...inFold.filter((p) => p.genuine).slice(0, limit), ...inFold.filter((p) => !p.genuine).slice(0, limit)]);
  }
  return folds;
}

/** Unique image paths of the chosen pairs, in first-use order. */
export function pairImages(folds: FacePair[][]): string[] {
  const seen = new Set<string>();
  for (const pair of folds.flat()) {
    seen.add(lfwImagePath(pair.left));
    seen.add(lfwImagePath(pair.right));
  }
  return [...seen];
}

async function scorePair(pair: FacePair, cache: DescriptorSource): Promise<{ score: number; failed: boolean }> {
  const [left, right] = [await cache.get(lfwImagePath(pair.left)), await cache.get(lfwImagePath(pair.right))];
  if (!left.ok || !right.ok) return { score: pair.genuine ? -2 : 2, failed: true };
  return { score: cosine(left.descriptor, right.descriptor), failed: false };
}

export async function runVerification(folds: FacePair[][], cache: DescriptorSource): Promise<VerificationReport> {
  const scoredFolds: LabelledScore[][] = [];
  let failedPairs = 0;
  for (const fold of folds) {
    const scored: LabelledScore[] = [];
    for (const pair of fold) {
      const { score, failed } = await scorePair(pair, cache);
      if (failed) failedPairs += 1;
      scored.push({ score, genuine: pair.genuine });
    }
    scoredFolds.push(scored);
  }
  const report = calibrate(scoredFolds.flat(), { targetFar: 1e-3, folds: scoredFolds });
  const cv = report.crossValidation;
  if (cv === undefined) throw new Error('cross-validation missing from calibration report');
  return {
    pairs: scoredFolds.flat().length,
    failedPairs,
    accuracyMean: cv.meanAccuracy,
    accuracySd: cv.stdAccuracy,
    foldAccuracies: cv.folds.map((f) => f.accuracy),
    threshold: cv.threshold,
    tarAtFar1e3: report.atTargetFar.tar,
    farTarget: report.targetFar,
    farMeasurable: report.atTargetFar.measurable,
    thresholdAtFar1e3: report.atTargetFar.threshold,
    eer: report.equalError.eer,
  };
}

export interface IdentificationPlan {
  gallery: Map<string, string[]>;
  impostors: Map<string, string[]>;
}

/** Identities with >= 2 images enrol (first describable image) and probe; single-image ones are impostors. */
export async function planIdentification(imagesDir: string, limit?: number): Promise<IdentificationPlan> {
  const names = (await readdir(imagesDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const gallery = new Map<string, string[]>();
  const impostors = new Map<string, string[]>();
  for (const name of names) {
    const files = (await readdir(join(imagesDir, name))).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    const target = files.length >= 2 ? gallery : impostors;
    if (limit === undefined || target.size < limit) target.set(name, files.map((f) => `${name}/${f}`));
  }
  return { gallery, impostors };
}

export interface IdentificationReport {
  enrolled: number;
  enrolFailures: number;
  genuineProbes: number;
  impostorProbes: number;
  probeFailures: number;
  rank1: number;
  /** Genuine probes whose best match is right and above the threshold. */
  trueAcceptRate: number;
  /** Genuine probes accepted as someone else. */
  misidentificationRate: number;
  /** Never-enrolled probes accepted as anyone. */
  falseAcceptRate: number;
  threshold: number;
  /** The same gallery at a threshold calibrated on 1:N data instead of the pair threshold. */
  openSet: OpenSetReport;
}

/**
 * A 1:N threshold: the lowest one accepting at most `targetFar` of the never-enrolled probes of one
 * half (even positions), its false-accept rate measured on the other half (odd positions), and the
 * genuine probes' outcomes at it. A pair threshold is far too permissive for 1:N: each impostor
 * meets every enrolled face, and only the best of those scores counts.
 */
export interface OpenSetReport {
  targetFar: number;
  threshold: number;
  calibrationImpostors: number;
  heldOutImpostors: number;
  heldOutFalseAcceptRate: number;
  trueAcceptRate: number;
  misidentificationRate: number;
}

/** Lowest threshold t with at most `targetFar` of `scores` >= t (scores equal to t are accepted). */
export function thresholdForFar(scores: readonly number[], targetFar: number): number {
  const sorted = [...scores].sort((a, b) => b - a);
  const allowed = Math.floor(targetFar * sorted.length);
  const firstRefused = sorted[allowed];
  if (firstRefused === undefined) return -1;
  // Just above the highest score that must be refused.
  return firstRefused + 1e-6;
}

interface GenuineOutcome {
  correct: boolean;
  score: number;
}

export function openSetReport(genuine: readonly GenuineOutcome[], impostorScores: readonly number[], genuineTotal: number, targetFar = 0.01): OpenSetReport {
  const calibration = impostorScores.filter((_, i) => i % 2 === 0);
  const heldOut = impostorScores.filter((_, i) => i % 2 === 1);
  const threshold = thresholdForFar(calibration, targetFar);
  const total = Math.max(1, genuineTotal);
  return {
    targetFar,
    threshold,
    calibrationImpostors: calibration.length,
    heldOutImpostors: heldOut.length,
    heldOutFalseAcceptRate: heldOut.filter((s) => s >= threshold).length / Math.max(1, heldOut.length),
    trueAcceptRate: genuine.filter((g) => g.correct && g.score >= threshold).length / total,
    misidentificationRate: genuine.filter((g) => !g.correct && g.score >= threshold).length / total,
  };
}

async function enrolGallery(plan: IdentificationPlan, cache: DescriptorSource, matcher: FlatTemplateMatcher) {
  const probes: Array<{ person: string; path: string }> = [];
  let enrolFailures = 0;
  for (const [person, files] of plan.gallery) {
    let enrolledAt = -1;
    for (let i = 0; i < files.length - 1 && enrolledAt < 0; i += 1) {
      const described = await cache.get(files[i]);
      if (described.ok) {
        matcher.upsert({ id: files[i], personId: person, modality: 'face', algo: matcher.algo, vector: described.descriptor });
        enrolledAt = i;
      } else enrolFailures += 1;
    }
    // An identity that cannot be enrolled keeps its probes: they will count as errors.
    files.slice(enrolledAt < 0 ? 1 : enrolledAt + 1).forEach((path) => probes.push({ person, path }));
  }
  return { probes, enrolFailures };
}

export async function runIdentification(plan: IdentificationPlan, cache: DescriptorSource, threshold: number, algo: string): Promise<IdentificationReport> {
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo, dimensions: 128 });
  const { probes, enrolFailures } = await enrolGallery(plan, cache, matcher);
  let probeFailures = 0, rank1 = 0, accepted = 0, misidentified = 0, falseAccepts = 0, impostorProbes = 0;
  const genuineOutcomes: GenuineOutcome[] = [];
  const impostorScores: number[] = [];
  for (const probe of probes) {
    const described = await cache.get(probe.path);
    if (!described.ok) { probeFailures += 1; continue; }
    const match = matcher.identify(described.descriptor);
    genuineOutcomes.push({ correct: match.personId === probe.person, score: match.score });
    if (match.personId === probe.person) {
      rank1 += 1;
      if (match.score >= threshold) accepted += 1;
    } else if (match.score >= threshold) misidentified += 1;
  }
  for (const files of plan.impostors.values()) {
    for (const path of files) {
      impostorProbes += 1;
      const described = await cache.get(path);
      // A never-enrolled face we cannot even describe is not let in: no false accept either way.
      if (!described.ok) { probeFailures += 1; continue; }
      const best = matcher.identify(described.descriptor).score;
      impostorScores.push(best);
      if (best >= threshold) falseAccepts += 1;
    }
  }
  const genuine = Math.max(1, probes.length);
  return {
    enrolled: matcher.size(),
    enrolFailures,
    genuineProbes: probes.length,
    impostorProbes,
    probeFailures,
    rank1: rank1 / genuine,
    trueAcceptRate: accepted / genuine,
    misidentificationRate: misidentified / genuine,
    falseAcceptRate: falseAccepts / Math.max(1, impostorProbes),
    threshold,
    openSet: openSetReport(genuineOutcomes, impostorScores, probes.length),
  };
}
