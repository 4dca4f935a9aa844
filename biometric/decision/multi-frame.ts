// Multi-frame face decisions. One frame is weak evidence (a blink, motion blur, a passer-by behind
// the pupil); a door opens only when K consecutive frames agree on the same person with threshold
// and margin, inside a time window. A face nobody knows gives one "not recognised" result, then a
// cool-down so a stranger standing at the camera does not make an event per frame.
//
// Pure: `stepDecision(state, frame, nowMs, config)` returns the next state and the decision. The
// clock is whatever monotonic milliseconds the caller passes. `MultiFrameDecider` holds the state
// for one reader.
import type { MatchPolicy, MatchResult } from '../types.js';

export interface DeciderConfig {
  policy: MatchPolicy;
  /** After a "not recognised" result, further unknown frames are silent for this long. */
  unknownCooldownMs: number;
  /** After a match, the same person is not matched again for this long (they are still in view). */
  repeatCooldownMs: number;
}

export type Frame = { kind: 'scored'; result: MatchResult } | { kind: 'bad_capture'; reason: string };

export type FrameDecision =
  | { kind: 'match'; personId: string; templateId: string | null; score: number; margin: number; frames: number }
  | { kind: 'no_match'; score: number; frames: number }
  | { kind: 'bad_capture'; reason: string }
  | { kind: 'pending'; agreeing: number; needed: number };

type Streak =
  | { kind: 'none' }
  | { kind: 'person'; personId: string; count: number; startMs: number; minScore: number; minMargin: number }
  | { kind: 'unknown'; count: number; startMs: number; maxScore: number };

export interface DeciderState {
  streak: Streak;
  /** Unknown faces are silent until this time. */
  unknownQuietUntilMs: number;
  /** The person last matched and until when a repeat is suppressed. */
  lastMatch: { personId: string; untilMs: number } | null;
}

export const INITIAL_DECIDER_STATE: DeciderState = Object.freeze({
  streak: Object.freeze({ kind: 'none' }),
  unknownQuietUntilMs: -Infinity,
  lastMatch: null,
});

type Classified = { kind: 'accept'; result: MatchResult & { personId: string } } | { kind: 'unknown' } | { kind: 'ambiguous' };

/** Threshold and margin on one frame. Above threshold but too close to another person is ambiguous. */
function classify(result: MatchResult, policy: MatchPolicy): Classified {
  if (result.personId === null || result.score < policy.threshold) return { kind: 'unknown' };
  if (result.margin < policy.minMargin) return { kind: 'ambiguous' };
  return { kind: 'accept', result: { ...result, personId: result.personId } };
}

function withinWindow(startMs: number, nowMs: number, policy: MatchPolicy): boolean {
  return nowMs - startMs <= policy.windowMs;
}

function stepAccepted(
  state: DeciderState,
  result: MatchResult & { personId: string },
  nowMs: number,
  config: DeciderConfig,
): { state: DeciderState; decision: FrameDecision } {
  const { policy } = config;
  const previous = state.streak;
  const continues = previous.kind === 'person' && previous.personId === result.personId && withinWindow(previous.startMs, nowMs, policy);
  const streak: Streak = continues
    ? { ...previous, count: previous.count + 1, minScore: Math.min(previous.minScore, result.score), minMargin: Math.min(previous.minMargin, result.margin) }
    : { kind: 'person', personId: result.personId, count: 1, startMs: nowMs, minScore: result.score, minMargin: result.margin };
  if (streak.count < policy.consecutiveFrames) {
    return { state: { ...state, streak }, decision: { kind: 'pending', agreeing: streak.count, needed: policy.consecutiveFrames } };
  }
  const repeat = state.lastMatch !== null && state.lastMatch.personId === result.personId && nowMs < state.lastMatch.untilMs;
  // A repeat extends the suppression: someone lingering in view is not granted again and again.
  const lastMatch = { personId: result.personId, untilMs: nowMs + config.repeatCooldownMs };
  const next: DeciderState = { ...state, streak: { kind: 'none' }, lastMatch };
  if (repeat) return { state: next, decision: { kind: 'pending', agreeing: streak.count, needed: policy.consecutiveFrames } };
  // The weakest frame of the streak is the evidence: report its score and margin, not the best.
  return {
    state: next,
    decision: { kind: 'match', personId: result.personId, templateId: result.templateId, score: streak.minScore, margin: streak.minMargin, frames: streak.count },
  };
}

function stepUnknown(state: DeciderState, score: number, nowMs: number, config: DeciderConfig): { state: DeciderState; decision: FrameDecision } {
  const { policy } = config;
  const previous = state.streak;
  const continues = previous.kind === 'unknown' && withinWindow(previous.startMs, nowMs, policy);
  const streak: Streak = continues
    ? { ...previous, count: previous.count + 1, maxScore: Math.max(previous.maxScore, score) }
    : { kind: 'unknown', count: 1, startMs: nowMs, maxScore: score };
  const needed = policy.consecutiveFrames;
  if (streak.count < needed || nowMs < state.unknownQuietUntilMs) {
    return { state: { ...state, streak }, decision: { kind: 'pending', agreeing: 0, needed } };
  }
  return {
    state: { ...state, streak: { kind: 'none' }, unknownQuietUntilMs: nowMs + config.unknownCooldownMs },
    decision: { kind: 'no_match', score: streak.maxScore, frames: streak.count },
  };
}

export function stepDecision(
  state: DeciderState,
  frame: Frame,
  nowMs: number,
  config: DeciderConfig,
): { state: DeciderState; decision: FrameDecision } {
  // A bad capture says nothing about who is there: reported, and the streak neither grows nor resets.
  if (frame.kind === 'bad_capture') return { state, decision: { kind: 'bad_capture', reason: frame.reason } };
  const verdict = classify(frame.result, config.policy);
  if (verdict.kind === 'accept') return stepAccepted(state, verdict.result, nowMs, config);
  if (verdict.kind === 'unknown') return stepUnknown(state, frame.result.score, nowMs, config);
  return { state: { ...state, streak: { kind: 'none' } }, decision: { kind: 'pending', agreeing: 0, needed: config.policy.consecutiveFrames } };
}

/** Checks a policy read from config: a threshold outside [-1, 1] or K < 1 is a configuration error. */
export function validateMatchPolicy(policy: MatchPolicy): MatchPolicy {
  if (!(policy.threshold >= -1 && policy.threshold <= 1)) throw new Error(`threshold must lie in [-1, 1], got ${policy.threshold}`);
  if (!(policy.minMargin >= 0 && policy.minMargin <= 2)) throw new Error(`minMargin must lie in [0, 2], got ${policy.minMargin}`);
  if (!Number.isInteger(policy.consecutiveFrames) || policy.consecutiveFrames < 1) {
    throw new Error(`consecutiveFrames must be an integer >= 1, got ${policy.consecutiveFrames}`);
  }
  if (!(policy.windowMs > 0)) throw new Error(`windowMs must be positive, got ${policy.windowMs}`);
  return policy;
}

/** The decider state of one reader (camera). */
export class MultiFrameDecider {
  private state: DeciderState = INITIAL_DECIDER_STATE;

  constructor(private readonly config: DeciderConfig) {
    validateMatchPolicy(config.policy);
  }

  observe(frame: Frame, nowMs: number): FrameDecision {
    const step = stepDecision(this.state, frame, nowMs, this.config);
    this.state = step.state;
    return step.decision;
  }

  /** Forgets the streak and cool-downs (reader restarted, gallery replaced). */
  reset(): void {
    this.state = INITIAL_DECIDER_STATE;
  }
}
