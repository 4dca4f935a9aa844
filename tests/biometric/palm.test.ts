import { describe, expect, it } from 'vitest';
import {
  PalmIdentifier,
  syntheticPalmPresentation,
  syntheticPalmTemplate,
  syntheticRandom,
  TemplateMismatchError,
} from '../../biometric/index.js';

const DIMS = 128;
const config = { algo: 'sim-palm-v1', dimensions: DIMS, policy: { threshold: 0.6, minMargin: 0.05, consecutiveFrames: 1, windowMs: 1000 }, minQuality: 0.5 };

function enrolled(people: number): PalmIdentifier {
  const palm = new PalmIdentifier(config);
  for (let i = 0; i < people; i++) {
    palm.enrol({ id: `palm-${i}`, personId: `p${i}`, modality: 'palm', algo: 'sim-palm-v1', vector: syntheticPalmTemplate(`p${i}`, DIMS) });
  }
  return palm;
}

describe('palm identification (synthetic vectors)', () => {
  it('synthetic palms are deterministic per person and distinct between people', () => {
    expect(syntheticPalmTemplate('alice', DIMS)).toEqual(syntheticPalmTemplate('alice', DIMS));
    expect(syntheticPalmTemplate('alice', DIMS)).not.toEqual(syntheticPalmTemplate('bob', DIMS));
  });

  it('accepts every genuine noisy presentation and rejects every impostor', () => {
    const palm = enrolled(300);
    const random = syntheticRandom('presentations');
    for (let i = 0; i < 300; i++) {
      const probe = syntheticPalmPresentation(syntheticPalmTemplate(`p${i}`, DIMS), 0.5, random);
      expect(palm.identify(probe, 0.9)).toMatchObject({ kind: 'match', personId: `p${i}` });
    }
    for (let i = 0; i < 300; i++) {
      const stranger = syntheticPalmPresentation(syntheticPalmTemplate(`stranger-${i}`, DIMS), 0.5, random);
      const decision = palm.identify(stranger, 0.9);
      expect(decision.kind).toBe('no_match');
    }
  });

  it('too much noise falls below the threshold: no match rather than a wrong person', () => {
    const palm = enrolled(50);
    const random = syntheticRandom('heavy-noise');
    const probe = syntheticPalmPresentation(syntheticPalmTemplate('p7', DIMS), 3, random);
    expect(palm.identify(probe, 0.9).kind).toBe('no_match');
  });

  it('a low-quality or malformed capture is a bad capture, never a match', () => {
    const palm = enrolled(5);
    const exact = syntheticPalmTemplate('p1', DIMS);
    expect(palm.identify(exact, 0.2)).toMatchObject({ kind: 'bad_capture', reason: 'low_quality' });
    expect(palm.identify(exact, Number.NaN)).toMatchObject({ kind: 'bad_capture', reason: 'low_quality' });
    expect(palm.identify(exact.subarray(0, 64), 0.9)).toMatchObject({ kind: 'bad_capture', reason: 'wrong_dimensions' });
    expect(palm.identify(new Float32Array(DIMS), 0.9)).toMatchObject({ kind: 'bad_capture', reason: 'invalid_vector' });
    expect(palm.identify(exact, 0.9)).toMatchObject({ kind: 'match', personId: 'p1' });
  });

  it('refuses face templates and templates of another palm algo', () => {
    const palm = enrolled(1);
    const vector = syntheticPalmTemplate('x', DIMS);
    expect(() => palm.enrol({ id: 'f', personId: 'x', modality: 'face', algo: 'sim-palm-v1', vector })).toThrow(TemplateMismatchError);
    expect(() => palm.enrol({ id: 'g', personId: 'x', modality: 'palm', algo: 'other-reader-v2', vector })).toThrow(/algo/);
  });
});
