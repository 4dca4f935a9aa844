// Palm identification: one presentation, one decision (K = 1). The reader hands over a feature
// vector and a quality figure; a poor capture is refused before matching so a smudged scan is a
// "try again", never a stranger's entry or a wrong person. Palm has its own algo id, gallery and
// threshold: its scores live on another scale than the face descriptor's.
import type { EnrolledTemplate, MatchPolicy, MatchResult } from '../types.js';
import { FlatTemplateMatcher } from '../matcher/index.js';

export interface PalmConfig {
  /** Reader model and feature version, e.g. "sim-palm-v1"; templates of another algo are not loaded. */
  algo: string;
  dimensions: number;
  /** Threshold and margin; consecutiveFrames/windowMs are ignored (a palm scan is one frame). */
  policy: MatchPolicy;
  /** Reader quality below this (0..1) is a bad capture. */
  minQuality: number;
}

export type PalmDecision =
  | { kind: 'match'; personId: string; templateId: string | null; score: number; margin: number }
  | { kind: 'no_match'; score: number }
  | { kind: 'bad_capture'; reason: 'low_quality' | 'wrong_dimensions' | 'invalid_vector'; detail: string };

/** Threshold and margin on a single result: the K = 1 decision. */
export function decideSingle(result: MatchResult, policy: Pick<MatchPolicy, 'threshold' | 'minMargin'>): PalmDecision {
  if (result.personId === null || result.score < policy.threshold || result.margin < policy.minMargin) {
    return { kind: 'no_match', score: result.score };
  }
  return { kind: 'match', personId: result.personId, templateId: result.templateId, score: result.score, margin: result.margin };
}

export class PalmIdentifier {
  readonly matcher: FlatTemplateMatcher;

  constructor(private readonly config: PalmConfig) {
    if (!(config.minQuality >= 0 && config.minQuality <= 1)) throw new Error(`palm minQuality must lie in [0, 1], got ${config.minQuality}`);
    if (!(config.policy.threshold >= -1 && config.policy.threshold <= 1)) throw new Error(`palm threshold must lie in [-1, 1], got ${config.policy.threshold}`);
    this.matcher = new FlatTemplateMatcher({ modality: 'palm', algo: config.algo, dimensions: config.dimensions });
  }

  /** Adds or replaces a template; throws TemplateMismatchError for another algo or length. */
  enrol(template: EnrolledTemplate): void {
    this.matcher.upsert(template);
  }

  identify(vector: Float32Array, quality: number): PalmDecision {
    if (!(quality >= this.config.minQuality)) {
      return { kind: 'bad_capture', reason: 'low_quality', detail: `quality ${quality} below ${this.config.minQuality}` };
    }
    if (vector.length !== this.config.dimensions) {
      return { kind: 'bad_capture', reason: 'wrong_dimensions', detail: `vector of ${vector.length}, expected ${this.config.dimensions}` };
    }
    let sum = 0;
    for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
    if (!(sum > 0) || !Number.isFinite(sum)) return { kind: 'bad_capture', reason: 'invalid_vector', detail: 'zero or non-finite vector' };
    return decideSingle(this.matcher.identify(vector), this.config.policy);
  }
}
