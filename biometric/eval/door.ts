// The door protocol (door-plan.ts says who enrols and who attempts): every gallery identity is
// enrolled through the capture gate the kiosk and `esik enroll` apply; each attempt's frames go
// through the same gate, the kiosk's matcher and its multi-frame rule (`stepDecision`, the function
// the kiosk's MultiFrameDecider runs) at the face policy the kiosk ships. An attempt is admitted when
// the rule grants anyone; a genuine attempt granted to someone else is a misidentification. Frames
// that fail detection or the gate are bad captures, exactly as at the door: they neither help nor
// reset a streak, and an attempt made only of them is refused.
import { FlatTemplateMatcher } from '../matcher/index.js';
import { INITIAL_DECIDER_STATE, stepDecision, type DeciderConfig, type Frame } from '../decision/index.js';
import { gateQuality, type QualityThresholds } from '../face/index.js';
import type { MatchPolicy, MatchResult } from '../types.js';
import type { StoredDescription } from './descriptor-store.js';
import type { Attempt, DoorPlan, Part } from './door-plan.js';
import type { VerificationReport } from './lfw.js';

export interface DescribesImages {
  get(relativePath: string): Promise<StoredDescription>;
}

export interface DoorInputs {
  plan: DoorPlan;
  /** Enrolment images, described as `esik enroll` describes them. */
  enrol: DescribesImages;
  /** Attempt frames, described with the kiosk's detector settings. */
  frames: DescribesImages;
  policy: MatchPolicy;
  gate: QualityThresholds;
}

/** A frame as the decider sees it: a bad capture, or a descriptor to score. */
export type FrameInput = { kind: 'bad_capture'; reason: string } | { kind: 'described'; descriptor: Float32Array };

export interface Template {
  id: string;
  personId: string;
  vector: Float32Array;
}

export interface PreparedDoor {
  templates: Template[];
  enrolRejected: Record<string, number>;
  frames: Map<string, FrameInput>;
}

const FRAME_INTERVAL_MS = 100;

function gated(described: StoredDescription, gate: QualityThresholds): { ok: true; descriptor: Float32Array } | { ok: false; reason: string } {
  if (!described.ok) return { ok: false, reason: described.reason };
  const verdict = gateQuality(described.quality, gate);
  return verdict === null ? { ok: true, descriptor: described.descriptor } : { ok: false, reason: verdict.reason };
}

/** Templates (one per enrolment image that passes the gate) and every frame, gated. */
export async function prepareDoor(inputs: DoorInputs): Promise<PreparedDoor> {
  const templates: Template[] = [];
  const enrolRejected: Record<string, number> = {};
  for (const person of inputs.plan.gallery) {
    for (const path of person.enrol) {
      const result = gated(await inputs.enrol.get(path), inputs.gate);
      if (result.ok) templates.push({ id: path, personId: person.person, vector: result.descriptor });
      else enrolRejected[result.reason] = (enrolRejected[result.reason] ?? 0) + 1;
    }
  }
  const frames = new Map<string, FrameInput>();
  for (const attempt of inputs.plan.attempts) {
    for (const path of attempt.frames) {
      if (frames.has(path)) continue;
      const result = gated(await inputs.frames.get(path), inputs.gate);
      frames.set(path, result.ok ? { kind: 'described', descriptor: result.descriptor } : { kind: 'bad_capture', reason: result.reason });
    }
  }
  return { templates, enrolRejected, frames };
}

/** The kiosk's matcher over the templates (nearest template per person, exact 1:N). */
export function kioskMatcher(templates: readonly Template[], algo = 'eval'): FlatTemplateMatcher {
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo, dimensions: templates[0]?.vector.length ?? 128 });
  for (const t of templates) matcher.upsert({ id: t.id, personId: t.personId, modality: 'face', algo, vector: t.vector });
  return matcher;
}

/** Scores one frame; the result is what the kiosk's decider is fed. */
export type FrameScorer = (descriptor: Float32Array) => MatchResult;

/** Frames as the decider sees them, each scored once. */
export function scoreFrames(frames: ReadonlyMap<string, FrameInput>, scorer: FrameScorer): Map<string, Frame> {
  const scored = new Map<string, Frame>();
  for (const [path, frame] of frames) {
    scored.set(path, frame.kind === 'bad_capture' ? { kind: 'bad_capture', reason: frame.reason } : { kind: 'scored', result: scorer(frame.descriptor) });
  }
  return scored;
}

/** Runs one attempt through the kiosk's multi-frame rule: the person granted, or null. */
export function runAttempt(frames: readonly Frame[], config: DeciderConfig): string | null {
  let state = INITIAL_DECIDER_STATE;
  for (const [i, frame] of frames.entries()) {
    const step = stepDecision(state, frame, i * FRAME_INTERVAL_MS, config);
    state = step.state;
    if (step.decision.kind === 'match') return step.decision.personId;
  }
  return null;
}

export function deciderConfig(policy: MatchPolicy): DeciderConfig {
  return { policy, unknownCooldownMs: 5000, repeatCooldownMs: 5000 };
}

/** Wilson score interval, 95%: sensible at 0 and near-0 counts, where the normal interval is not. */
export function wilson(successes: number, total: number, z = 1.959964): { rate: number; low: number; high: number } {
  if (total === 0) return { rate: 0, low: 0, high: 1 };
  const p = successes / total;
  const denominator = 1 + (z * z) / total;
  const centre = (p + (z * z) / (2 * total)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total));
  // At 0 (or all) successes the bound is exactly 0 (or 1); rounding would leave a 1e-19 there.
  return { rate: p, low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === total ? 1 : Math.min(1, centre + half) };
}

export interface Proportion {
  count: number;
  of: number;
  rate: number;
  ci95: [number, number];
}

export function proportion(count: number, of: number): Proportion {
  const w = wilson(count, of);
  return { count, of, rate: w.rate, ci95: [w.low, w.high] };
}

export interface AttemptFigures {
  genuineAccept: Proportion;
  misidentified: Proportion;
  strangerAccept: Proportion;
}

/** Per-attempt outcomes of the attempts of one part (or all) under one scorer and policy. */
export function attemptFigures(attempts: readonly Attempt[], scored: ReadonlyMap<string, Frame>, config: DeciderConfig): AttemptFigures {
  let genuine = 0, accepted = 0, misidentified = 0, strangers = 0, strangerAccepted = 0;
  for (const attempt of attempts) {
    const granted = runAttempt(attempt.frames.map((p) => scored.get(p)!), config);
    if (attempt.kind === 'genuine') {
      genuine += 1;
      if (granted === attempt.person) accepted += 1;
      else if (granted !== null) misidentified += 1;
    } else {
      strangers += 1;
      if (granted !== null) strangerAccepted += 1;
    }
  }
  return { genuineAccept: proportion(accepted, genuine), misidentified: proportion(misidentified, genuine), strangerAccept: proportion(strangerAccepted, strangers) };
}

/** Single frames, each on its own (K = 1): every distinct frame of the part's genuine and stranger attempts. */
export function singleFrameFigures(attempts: readonly Attempt[], scored: ReadonlyMap<string, Frame>, policy: MatchPolicy): AttemptFigures & { badCaptures: number } {
  const single = deciderConfig({ ...policy, consecutiveFrames: 1 });
  const seen = new Set<string>();
  const frameAttempts: Attempt[] = [];
  let badCaptures = 0;
  for (const attempt of attempts) {
    for (const path of attempt.frames) {
      if (seen.has(path)) continue;
      seen.add(path);
      if (scored.get(path)?.kind === 'bad_capture') badCaptures += 1;
      frameAttempts.push({ ...attempt, frames: [path] });
    }
  }
  return { ...attemptFigures(frameAttempts, scored, single), badCaptures };
}

/**
 * The lowest threshold at which at most `targetRate` of the given stranger attempts are admitted
 * (attempt admission can only fall as the threshold rises, so a binary search over the strangers'
 * frame scores finds it).
 */
export function thresholdForStrangerRate(strangers: readonly Attempt[], scored: ReadonlyMap<string, Frame>, policy: MatchPolicy, targetRate: number): number {
  const allowed = Math.floor(targetRate * strangers.length);
  const candidates = [-1];
  for (const a of strangers) for (const p of a.frames) {
    const f = scored.get(p);
    if (f?.kind === 'scored') candidates.push(f.result.score + 1e-6);
  }
  candidates.sort((x, y) => x - y);
  const admitted = (t: number) => attemptFigures(strangers, scored, deciderConfig({ ...policy, threshold: t })).strangerAccept.count;
  let lo = 0, hi = candidates.length - 1;
  if (admitted(candidates[hi]) > allowed) return candidates[hi];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (admitted(candidates[mid]) <= allowed) hi = mid;
    else lo = mid + 1;
  }
  return candidates[lo];
}

export function inPart(attempts: readonly Attempt[], part: Part): Attempt[] {
  return attempts.filter((a) => a.part === part);
}

export interface DoorReport {
  policy: MatchPolicy;
  galleryPeople: number;
  enrolImages: number;
  enrolRejected: Record<string, number>;
  framesPerAttempt: number;
  /** Frames refused by detection or the gate, by reason (distinct frames). */
  frameRejected: Record<string, number>;
  /** The reported figures: report-part attempts at the shipped policy. */
  report: AttemptFigures;
  reportSingleFrame: AttemptFigures & { badCaptures: number };
  /** The same on the calibration part (used to choose the shipped threshold; not the result). */
  calibration: AttemptFigures;
  /** What the calibration part suggests for <= 0.1% strangers per attempt at this policy's K and margin. */
  calibratedThreshold: number;
}

export async function evaluateDoor(inputs: DoorInputs): Promise<DoorReport> {
  const prepared = await prepareDoor(inputs);
  const matcher = kioskMatcher(prepared.templates);
  const scored = scoreFrames(prepared.frames, (d) => matcher.identify(d));
  return doorReport(inputs, prepared, scored);
}

function doorReport(inputs: DoorInputs, prepared: PreparedDoor, scored: ReadonlyMap<string, Frame>): DoorReport {
  const config = deciderConfig(inputs.policy);
  const report = inPart(inputs.plan.attempts, 'report');
  const calibration = inPart(inputs.plan.attempts, 'calibration');
  const frameRejected: Record<string, number> = {};
  for (const frame of prepared.frames.values()) if (frame.kind === 'bad_capture') frameRejected[frame.reason] = (frameRejected[frame.reason] ?? 0) + 1;
  return {
    policy: inputs.policy,
    galleryPeople: inputs.plan.gallery.length,
    enrolImages: prepared.templates.length,
    enrolRejected: prepared.enrolRejected,
    framesPerAttempt: inputs.plan.attempts[0]?.frames.length ?? 0,
    frameRejected,
    report: attemptFigures(report, scored, config),
    reportSingleFrame: singleFrameFigures(report, scored, inputs.policy),
    calibration: attemptFigures(calibration, scored, config),
    calibratedThreshold: thresholdForStrangerRate(calibration.filter((a) => a.kind === 'stranger'), scored, inputs.policy, 0.001),
  };
}

/** The one-line summary `npm run eval:door` ends with. */
export function headline(door: DoorReport, verification: VerificationReport | null, algo: string): Record<string, unknown> {
  const r = door.report;
  const f = door.reportSingleFrame;
  return {
    algo,
    threshold: door.policy.threshold,
    consecutive_frames: door.policy.consecutiveFrames,
    min_margin: door.policy.minMargin,
    genuine_accept: r.genuineAccept.rate,
    genuine_accept_ci95: r.genuineAccept.ci95,
    stranger_accept: r.strangerAccept.rate,
    stranger_accept_ci95: r.strangerAccept.ci95,
    stranger_accepted: r.strangerAccept.count,
    misidentified: r.misidentified.rate,
    misidentified_ci95: r.misidentified.ci95,
    misidentified_count: r.misidentified.count,
    attempts_genuine: r.genuineAccept.of,
    attempts_stranger: r.strangerAccept.of,
    enrol_images: door.enrolImages,
    gallery_people: door.galleryPeople,
    frames_per_attempt: door.framesPerAttempt,
    single_frame_genuine_accept: f.genuineAccept.rate,
    single_frame_misidentified: f.misidentified.rate,
    single_frame_stranger_accept: f.strangerAccept.rate,
    single_frames_genuine: f.genuineAccept.of,
    single_frames_stranger: f.strangerAccept.of,
    calibrated_threshold: door.calibratedThreshold,
    verification_accuracy: verification?.accuracyMean ?? null,
    verification_sd: verification?.accuracySd ?? null,
    tar_at_far_1e3: verification?.tarAtFar1e3 ?? null,
  };
}
