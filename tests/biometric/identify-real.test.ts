// Enrol-then-identify on real faces (faces-bbt: 8 identities x 5 crops, read in place from
// ../shared/data, never copied): the real face engine, our matcher and the multi-frame decider.
// Seven identities are enrolled from crops 1-2; crops 3-5 are probes; the eighth identity is never
// enrolled and must be rejected. The threshold is calibrated on the enrolment crops alone (zero
// false accepts among enrolment impostor pairs), not chosen by looking at the probes.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine } from '../../biometric/face/index.js';
import { cosineSimilarity, FlatTemplateMatcher, MultiFrameDecider, thresholdForFar, type LabelledScore } from '../../biometric/index.js';
import type { FaceEngine } from '../../biometric/types.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');
const ENROLLED = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon'];
const STRANGER = 'stuart';

let engine: FaceEngine;
const descriptors = new Map<string, Array<Float32Array | null>>();

async function describeCrop(name: string, n: number): Promise<Float32Array | null> {
  const image = await readFile(resolve(dataDir, 'faces-bbt/examples', name, `${name}${n}.png`));
  const extraction = await engine.extract(image);
  return extraction.ok ? extraction.descriptor : null;
}

beforeAll(async () => {
  engine = await createFaceEngine({ backend: 'auto', logger: pino({ level: 'silent' }) });
  for (const name of [...ENROLLED, STRANGER]) {
    const crops: Array<Float32Array | null> = [];
    for (let n = 1; n <= 5; n++) crops.push(await describeCrop(name, n));
    descriptors.set(name, crops);
  }
}, 300_000);

afterAll(async () => {
  await engine?.close();
});

function enrolmentScores(): LabelledScore[] {
  const enrolment = ENROLLED.flatMap((name) => descriptors.get(name)!.slice(0, 2).flatMap((d) => (d === null ? [] : [{ name, d }])));
  const scores: LabelledScore[] = [];
  for (let i = 0; i < enrolment.length; i++) {
    for (let j = i + 1; j < enrolment.length; j++) {
      scores.push({ score: cosineSimilarity(enrolment[i].d, enrolment[j].d), genuine: enrolment[i].name === enrolment[j].name });
    }
  }
  return scores;
}

function enrolledMatcher(): FlatTemplateMatcher {
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo: engine.algo, dimensions: 128 });
  for (const name of ENROLLED) {
    descriptors.get(name)!.slice(0, 2).forEach((vector, i) => {
      if (vector !== null) matcher.upsert({ id: `${name}-${i + 1}`, personId: name, modality: 'face', algo: engine.algo, vector });
    });
  }
  return matcher;
}

describe('enrol then identify on real faces', () => {
  it('describes (nearly) every crop', () => {
    const all = [...descriptors.values()].flat();
    expect(all.filter((d) => d !== null).length).toBeGreaterThanOrEqual(36);
  });

  it('identifies enrolled people from unseen crops and rejects the never-enrolled identity', () => {
    const calibrated = thresholdForFar(enrolmentScores(), 0);
    const matcher = enrolledMatcher();
    expect(matcher.personCount()).toBe(ENROLLED.length);
    let correct = 0;
    let probes = 0;
    for (const name of ENROLLED) {
      for (const probe of descriptors.get(name)!.slice(2)) {
        if (probe === null) continue;
        probes++;
        const result = matcher.identify(probe);
        // Never the wrong person: a genuine probe is either identified correctly or rejected.
        if (result.score >= calibrated.threshold) expect(result.personId).toBe(name);
        if (result.score >= calibrated.threshold && result.personId === name) correct++;
      }
    }
    expect(probes).toBeGreaterThanOrEqual(18);
    expect(correct / probes).toBeGreaterThanOrEqual(0.8);
    for (const probe of descriptors.get(STRANGER)!) {
      if (probe === null) continue;
      expect(matcher.identify(probe).score).toBeLessThan(calibrated.threshold);
    }
  });

  it('multi-frame: two unseen crops in a row open for the right person; the stranger gets one no_match', () => {
    const calibrated = thresholdForFar(enrolmentScores(), 0);
    const matcher = enrolledMatcher();
    const decider = new MultiFrameDecider({
      policy: { threshold: calibrated.threshold, minMargin: 0.02, consecutiveFrames: 2, windowMs: 1000 },
      unknownCooldownMs: 10_000,
      repeatCooldownMs: 3000,
    });
    let t = 0;
    let matched = 0;
    for (const name of ENROLLED) {
      const frames = descriptors.get(name)!.slice(2).filter((d): d is Float32Array => d !== null);
      const decisions = frames.map((d) => decider.observe({ kind: 'scored', result: matcher.identify(d) }, (t += 100)));
      for (const decision of decisions) if (decision.kind === 'match') expect(decision.personId).toBe(name);
      if (decisions.some((d) => d.kind === 'match')) matched++;
      t += 5000;
    }
    expect(matched).toBeGreaterThanOrEqual(5);
    const stranger = descriptors.get(STRANGER)!.filter((d): d is Float32Array => d !== null);
    const strangerDecisions = stranger.map((d) => decider.observe({ kind: 'scored', result: matcher.identify(d) }, (t += 100)));
    expect(strangerDecisions.filter((d) => d.kind === 'match')).toEqual([]);
    expect(strangerDecisions.filter((d) => d.kind === 'no_match')).toHaveLength(1);
  });
});
