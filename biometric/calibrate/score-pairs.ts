// Turns a pairs file into labelled scores: each image is described once (pairs reuse images), the
// score of a pair is the cosine similarity of its two descriptors, and a pair in which either image
// yields no descriptor is counted as a failure, never silently dropped from the totals.
import { cosineSimilarity } from '../matcher/index.js';
import type { LabelledScore } from './metrics.js';
import { lfwImagePath, type FacePair, type PairsFile } from './pairs.js';

export type DescribeImage = (relativePath: string) => Promise<{ ok: true; descriptor: Float32Array } | { ok: false; reason: string }>;

export interface ScoredPairs {
  /** One array of scores per fold, in file order. */
  folds: LabelledScore[][];
  /** Pairs with an image that gave no descriptor, by the first failing image's reason. */
  failedPairs: number;
  failuresByReason: Record<string, number>;
  imagesDescribed: number;
}

export async function scorePairs(
  file: PairsFile,
  describe: DescribeImage,
  onPair: (done: number, total: number) => void = () => undefined,
): Promise<ScoredPairs> {
  const cache = new Map<string, Awaited<ReturnType<DescribeImage>>>();
  const described = async (side: FacePair['left']) => {
    const path = lfwImagePath(side);
    let result = cache.get(path);
    if (result === undefined) {
      result = await describe(path);
      cache.set(path, result);
    }
    return result;
  };
  const folds: LabelledScore[][] = Array.from({ length: file.folds }, () => []);
  const failuresByReason: Record<string, number> = {};
  let failedPairs = 0;
  for (const [index, pair] of file.pairs.entries()) {
    const left = await described(pair.left);
    const right = await described(pair.right);
    if (left.ok && right.ok) {
      folds[pair.fold].push({ score: cosineSimilarity(left.descriptor, right.descriptor), genuine: pair.genuine });
    } else {
      failedPairs++;
      const reason = !left.ok ? left.reason : !right.ok ? right.reason : 'unknown';
      failuresByReason[reason] = (failuresByReason[reason] ?? 0) + 1;
    }
    onPair(index + 1, file.pairs.length);
  }
  return { folds, failedPairs, failuresByReason, imagesDescribed: cache.size };
}
