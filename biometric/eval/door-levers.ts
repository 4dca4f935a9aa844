// Levers on the door's accuracy, each measured the same way: its threshold is the lowest that admits
// at most 0.1% of the calibration part's stranger attempts, and its figures are those of the report
// part at that threshold (never tuned on what it reports). All run on the cached descriptors, so
// the whole table costs seconds. Normalised scores are mapped back onto the cosine scale (mean and
// spread of the raw scores), so the kiosk's margin keeps its meaning and thresholds stay in [-1, 1].
import { l2Normalise } from '../face/index.js';
import type { MatchPolicy, MatchResult } from '../types.js';
import type { Frame } from '../decision/index.js';
import {
  attemptFigures,
  deciderConfig,
  inPart,
  kioskMatcher,
  prepareDoor,
  scoreFrames,
  thresholdForStrangerRate,
  type AttemptFigures,
  type DoorInputs,
  type FrameInput,
  type FrameScorer,
  type Template,
} from './door.js';
import type { Attempt } from './door-plan.js';

export interface LeverFigures {
  lever: string;
  threshold: number;
  consecutiveFrames: number;
  minMargin: number;
  /** Genuine acceptance on the calibration part: what a lever is chosen by. */
  calibrationGenuineAccept: number;
  genuineAccept: number;
  strangerAccept: number;
  misidentified: number;
  figures: AttemptFigures;
}

const TARGET_STRANGER_RATE = 0.001;

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i] * b[i];
  return sum;
}

/** Per-person nearest-template scores, the raw material of the normalised levers. */
class PersonScores {
  readonly people: string[];
  private readonly byPerson: Template[][];

  constructor(templates: readonly Template[]) {
    const index = new Map<string, Template[]>();
    for (const t of templates) index.set(t.personId, [...(index.get(t.personId) ?? []), t]);
    this.people = [...index.keys()];
    this.byPerson = this.people.map((p) => index.get(p)!);
  }

  scores(probe: Float32Array): Float64Array {
    const out = new Float64Array(this.people.length);
    this.byPerson.forEach((templates, i) => {
      out[i] = Math.max(...templates.map((t) => dot(t.vector, probe)));
    });
    return out;
  }

  /** Best and second-best person of a score vector, as the matcher reports them. */
  result(scores: Float64Array): MatchResult {
    let best = -1, second = -1;
    for (let i = 0; i < scores.length; i += 1) {
      if (best < 0 || scores[i] > scores[best]) { second = best; best = i; } else if (second < 0 || scores[i] > scores[second]) second = i;
    }
    if (best < 0) return { personId: null, templateId: null, score: -1, secondScore: -1, margin: 0 };
    const secondScore = second < 0 ? -1 : scores[second];
    return { personId: this.people[best], templateId: null, score: scores[best], secondScore, margin: scores[best] - secondScore };
  }
}

function meanAndSd(values: ArrayLike<number>): { mean: number; sd: number } {
  let sum = 0, sq = 0;
  for (let i = 0; i < values.length; i += 1) { sum += values[i]; sq += values[i] * values[i]; }
  const mean = sum / values.length;
  return { mean, sd: Math.sqrt(Math.max(1e-12, sq / values.length - mean * mean)) };
}

/** Each enrolled person's scores against the other enrolled people's templates: their impostor model. */
function galleryCohort(templates: readonly Template[], table: PersonScores) {
  const stats = table.people.map((person) => {
    const own = templates.filter((t) => t.personId === person);
    const others = templates.filter((t) => t.personId !== person);
    return meanAndSd(others.map((o) => Math.max(...own.map((t) => dot(t.vector, o.vector)))));
  });
  return { stats, global: { mean: meanAndSd(stats.map((s) => s.mean)).mean, sd: meanAndSd(stats.map((s) => s.sd)).mean } };
}

/** Z-norm: a score is judged against that person's impostor model (gallery as cohort). */
function zNormScorer(templates: readonly Template[]): FrameScorer {
  const table = new PersonScores(templates);
  const { stats, global } = galleryCohort(templates, table);
  return (probe) => table.result(table.scores(probe).map((s, i) => global.mean + (global.sd * (s - stats[i].mean)) / stats[i].sd));
}

/** T-norm: the probe's own scores against the whole gallery are its impostor model. */
function tNormScorer(templates: readonly Template[]): FrameScorer {
  const table = new PersonScores(templates);
  const { global } = galleryCohort(templates, table);
  return (probe) => {
    const raw = table.scores(probe);
    const own = meanAndSd(raw);
    return table.result(raw.map((s) => global.mean + (global.sd * (s - own.mean)) / own.sd));
  };
}

function firstTemplates(templates: readonly Template[]): Template[] {
  const seen = new Set<string>();
  return templates.filter((t) => (seen.has(t.personId) ? false : (seen.add(t.personId), true)));
}

function meanTemplates(templates: readonly Template[]): Template[] {
  const sums = new Map<string, Float32Array>();
  for (const t of templates) {
    const sum = sums.get(t.personId) ?? new Float32Array(t.vector.length);
    t.vector.forEach((v, i) => { sum[i] = sum[i] + v; });
    sums.set(t.personId, sum);
  }
  return [...sums].map(([personId, sum]) => ({ id: `${personId}#mean`, personId, vector: l2Normalise(sum) }));
}

/** Frame fusion: each attempt's distinct good frames averaged into one probe, decided on that one frame. */
function fuseAttempts(attempts: readonly Attempt[], frames: ReadonlyMap<string, FrameInput>, scorer: FrameScorer): { attempts: Attempt[]; scored: Map<string, Frame> } {
  const scored = new Map<string, Frame>();
  const fused = attempts.map((attempt, i) => {
    const key = `fused#${i}`;
    const good = [...new Set(attempt.frames)].map((p) => frames.get(p)!).filter((f) => f.kind === 'described');
    if (good.length === 0) scored.set(key, { kind: 'bad_capture', reason: 'no_good_frame' });
    else {
      const sum = new Float32Array(good[0].descriptor.length);
      for (const f of good) f.descriptor.forEach((v, j) => { sum[j] = sum[j] + v; });
      scored.set(key, { kind: 'scored', result: scorer(l2Normalise(sum)) });
    }
    return { ...attempt, frames: [key] };
  });
  return { attempts: fused, scored };
}

function measure(lever: string, attempts: readonly Attempt[], scored: ReadonlyMap<string, Frame>, policy: MatchPolicy): LeverFigures {
  const calibration = inPart(attempts, 'calibration');
  const threshold = thresholdForStrangerRate(calibration.filter((a) => a.kind === 'stranger'), scored, policy, TARGET_STRANGER_RATE);
  const config = deciderConfig({ ...policy, threshold });
  const figures = attemptFigures(inPart(attempts, 'report'), scored, config);
  return {
    lever,
    threshold: Number(threshold.toFixed(4)),
    consecutiveFrames: policy.consecutiveFrames,
    minMargin: policy.minMargin,
    calibrationGenuineAccept: attemptFigures(calibration, scored, config).genuineAccept.rate,
    genuineAccept: figures.genuineAccept.rate,
    strangerAccept: figures.strangerAccept.rate,
    misidentified: figures.misidentified.rate,
    figures,
  };
}

const MARGINS = [0, 0.01, 0.02, 0.03, 0.05];

/**
 * Every lever at every margin (K as shipped), and K = 1..3 with the kiosk's matcher. Pick a row by
 * `calibrationGenuineAccept`, never by the report figures.
 */
export async function measureLevers(inputs: DoorInputs): Promise<LeverFigures[]> {
  const prepared = await prepareDoor(inputs);
  const { policy } = inputs;
  const attempts = inputs.plan.attempts;
  const nearest = kioskMatcher(prepared.templates);
  const nearestScored = scoreFrames(prepared.frames, (d) => nearest.identify(d));
  const single = kioskMatcher(firstTemplates(prepared.templates));
  const mean = kioskMatcher(meanTemplates(prepared.templates));
  const fused = fuseAttempts(attempts, prepared.frames, (d) => nearest.identify(d));
  const variants: Array<{ lever: string; attempts: readonly Attempt[]; scored: ReadonlyMap<string, Frame>; k: number }> = [
    { lever: 'nearest of up to 3 templates (kiosk matcher)', attempts, scored: nearestScored, k: policy.consecutiveFrames },
    { lever: 'one template per person', attempts, scored: scoreFrames(prepared.frames, (d) => single.identify(d)), k: policy.consecutiveFrames },
    { lever: 'mean template', attempts, scored: scoreFrames(prepared.frames, (d) => mean.identify(d)), k: policy.consecutiveFrames },
    { lever: 'Z-norm (other enrolled people as cohort)', attempts, scored: scoreFrames(prepared.frames, zNormScorer(prepared.templates)), k: policy.consecutiveFrames },
    { lever: 'T-norm (probe against the gallery)', attempts, scored: scoreFrames(prepared.frames, tNormScorer(prepared.templates)), k: policy.consecutiveFrames },
    { lever: 'frame fusion (mean descriptor of the attempt, one decision)', attempts: fused.attempts, scored: fused.scored, k: 1 },
  ];
  for (const k of [1, 2, 3]) if (k !== policy.consecutiveFrames) variants.push({ lever: `nearest, K = ${k}`, attempts, scored: nearestScored, k });
  const rows: LeverFigures[] = [];
  for (const v of variants) {
    for (const minMargin of MARGINS) rows.push(measure(v.lever, v.attempts, v.scored, { ...policy, consecutiveFrames: v.k, minMargin }));
  }
  return rows;
}
