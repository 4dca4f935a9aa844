import { describe, expect, it } from 'vitest';
import { MultiFrameDecider, type DeciderConfig, type Frame } from '../../biometric/decision/index.js';

const config: DeciderConfig = {
  policy: { threshold: 0.6, minMargin: 0.05, consecutiveFrames: 3, windowMs: 1000 },
  unknownCooldownMs: 5000,
  repeatCooldownMs: 3000,
};

function frame(personId: string | null, score: number, margin = 0.3): Frame {
  return { kind: 'scored', result: { personId, templateId: personId && `${personId}-t`, score, secondScore: score - margin, margin } };
}

const bad: Frame = { kind: 'bad_capture', reason: 'blurry' };

describe('MultiFrameDecider', () => {
  it('accepts after K consecutive agreeing frames, reporting the weakest frame', () => {
    const decider = new MultiFrameDecider(config);
    expect(decider.observe(frame('alice', 0.9), 0)).toEqual({ kind: 'pending', agreeing: 1, needed: 3 });
    expect(decider.observe(frame('alice', 0.7, 0.1), 100)).toMatchObject({ kind: 'pending', agreeing: 2 });
    expect(decider.observe(frame('alice', 0.8), 200)).toEqual({
      kind: 'match', personId: 'alice', templateId: 'alice-t', score: 0.7, margin: 0.1, frames: 3,
    });
  });

  it('a disagreeing frame resets the streak', () => {
    const decider = new MultiFrameDecider(config);
    decider.observe(frame('alice', 0.9), 0);
    decider.observe(frame('alice', 0.9), 100);
    expect(decider.observe(frame('bob', 0.9), 200)).toMatchObject({ kind: 'pending', agreeing: 1 });
    expect(decider.observe(frame('alice', 0.9), 300)).toMatchObject({ kind: 'pending', agreeing: 1 });
    decider.observe(frame('alice', 0.9), 400);
    expect(decider.observe(frame('alice', 0.9), 500)).toMatchObject({ kind: 'match', personId: 'alice' });
  });

  it('a below-threshold or low-margin frame resets the streak', () => {
    const decider = new MultiFrameDecider(config);
    decider.observe(frame('alice', 0.9), 0);
    decider.observe(frame('alice', 0.9), 100);
    expect(decider.observe(frame('alice', 0.5), 200)).toMatchObject({ kind: 'pending', agreeing: 0 });
    decider.observe(frame('alice', 0.9), 300);
    decider.observe(frame('alice', 0.9), 400);
    expect(decider.observe(frame('alice', 0.9, 0.01), 500)).toMatchObject({ kind: 'pending', agreeing: 0 });
    expect(decider.observe(frame('alice', 0.9), 600)).toMatchObject({ kind: 'pending', agreeing: 1 });
  });

  it('frames spread beyond the window do not add up', () => {
    const decider = new MultiFrameDecider(config);
    decider.observe(frame('alice', 0.9), 0);
    decider.observe(frame('alice', 0.9), 600);
    // 1,200 ms after the first frame: the streak restarts with this frame.
    expect(decider.observe(frame('alice', 0.9), 1200)).toMatchObject({ kind: 'pending', agreeing: 1 });
    decider.observe(frame('alice', 0.9), 1300);
    expect(decider.observe(frame('alice', 0.9), 1400)).toMatchObject({ kind: 'match' });
  });

  it('a bad capture is reported but neither counts nor resets', () => {
    const decider = new MultiFrameDecider(config);
    decider.observe(frame('alice', 0.9), 0);
    expect(decider.observe(bad, 50)).toEqual({ kind: 'bad_capture', reason: 'blurry' });
    decider.observe(frame('alice', 0.9), 100);
    expect(decider.observe(bad, 150)).toEqual({ kind: 'bad_capture', reason: 'blurry' });
    expect(decider.observe(frame('alice', 0.9), 200)).toMatchObject({ kind: 'match', frames: 3 });
  });

  it('an unknown face yields one no_match, then stays quiet for the cool-down', () => {
    const decider = new MultiFrameDecider(config);
    const results = [];
    for (let t = 0; t < 4900; t += 100) results.push(decider.observe(frame('bob', 0.3), t));
    const noMatches = results.filter((r) => r.kind === 'no_match');
    expect(noMatches).toEqual([{ kind: 'no_match', score: 0.3, frames: 3 }]);
    expect(results.findIndex((r) => r.kind === 'no_match')).toBe(2);
    // Cool-down over (no_match at 200 ms + 5,000 ms): the still-present stranger is reported again,
    // once.
    expect(decider.observe(frame(null, -1), 5200)).toMatchObject({ kind: 'no_match' });
    expect(decider.observe(frame(null, -1), 5300)).toMatchObject({ kind: 'pending' });
  });

  it('a known person is still matched during the unknown cool-down', () => {
    const decider = new MultiFrameDecider(config);
    for (let t = 0; t < 300; t += 100) decider.observe(frame('x', 0.2), t);
    decider.observe(frame('alice', 0.9), 400);
    decider.observe(frame('alice', 0.9), 500);
    expect(decider.observe(frame('alice', 0.9), 600)).toMatchObject({ kind: 'match', personId: 'alice' });
  });

  it('does not re-match the same person still in view until the repeat cool-down passes', () => {
    const decider = new MultiFrameDecider(config);
    const kinds: string[] = [];
    for (let t = 0; t <= 3000; t += 100) kinds.push(decider.observe(frame('alice', 0.9), t).kind);
    expect(kinds.filter((k) => k === 'match')).toHaveLength(1);
    // Still in view, the suppression keeps extending; after stepping away for longer than the
    // cool-down they are matched again.
    for (let t = 6500; t <= 6700; t += 100) kinds.push(decider.observe(frame('alice', 0.9), t).kind);
    expect(kinds.filter((k) => k === 'match')).toHaveLength(2);
    // Someone else steps up right away: no cool-down for them.
    for (let t = 6800; t <= 7000; t += 100) kinds.push(decider.observe(frame('bob', 0.9), t).kind);
    expect(kinds.at(-1)).toBe('match');
  });

  it('refuses an invalid policy', () => {
    expect(() => new MultiFrameDecider({ ...config, policy: { ...config.policy, consecutiveFrames: 0 } })).toThrow(/consecutiveFrames/);
    expect(() => new MultiFrameDecider({ ...config, policy: { ...config.policy, threshold: 3 } })).toThrow(/threshold/);
  });
});
