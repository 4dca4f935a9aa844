// Combined credential modes and the presentation-attack action, as decide() applies them: each mode
// with each of its deny reasons, per door and per role, and the order that lets the kiosk hold a
// first factor only when nothing else refuses the person.
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkFactors,
  credentialModeFor,
  decide,
  factorsStillNeeded,
  type AccessContext,
  type AccessRequest,
  type CredentialModeRule,
  type Decision,
  type DenyReason,
} from '../../../device/policy/index.js';
import { MORNING, at, context, pupil, request } from './fixtures.js';

const seen = new Set<DenyReason>();

function run(req: Partial<AccessRequest>, ctx: Partial<AccessContext>): Decision {
  const decision = decide(request(req), context(ctx));
  if (decision.outcome === 'deny') seen.add(decision.reason);
  return decision;
}

const only = (mode: CredentialModeRule['mode']): CredentialModeRule[] => [{ door: 'main', mode }];
const face = { credential: null, kind: 'face' as const };

describe('credentialModeFor: per door and per role', () => {
  const rules: CredentialModeRule[] = [
    { door: 'main', roles: ['staff'], mode: 'face_and_pin' },
    { door: 'main', mode: 'face_or_card' },
    { door: '*', roles: ['visitor'], mode: 'card_and_pin' },
  ];

  it('takes the first rule naming the door (or "*") and the role; none is `any`', () => {
    expect(credentialModeFor(rules, 'main', 'staff')).toBe('face_and_pin');
    expect(credentialModeFor(rules, 'main', 'student')).toBe('face_or_card');
    expect(credentialModeFor(rules, 'gate', 'visitor')).toBe('card_and_pin');
    expect(credentialModeFor(rules, 'gate', 'student')).toBe('any');
    expect(credentialModeFor(undefined, 'main', 'staff')).toBe('any');
  });

  it('decide() applies the role\'s mode: staff at main need a PIN, pupils do not', () => {
    const staff = pupil({ role: 'staff' });
    expect(run({ ...face, person: staff }, { credentialModes: rules })).toMatchObject({ outcome: 'deny', reason: 'second_factor_missing' });
    expect(run({ ...face }, { credentialModes: rules }).outcome).toBe('grant');
  });
});

describe('face_or_card', () => {
  const ctx = { credentialModes: only('face_or_card') };
  it('grants a face alone and a card alone', () => {
    expect(run(face, ctx).outcome).toBe('grant');
    expect(run({}, ctx).outcome).toBe('grant');
  });
  it('refuses a QR code or a palm: not part of the mode', () => {
    expect(run({ kind: 'qr' }, ctx)).toMatchObject({ outcome: 'deny', reason: 'credential_not_accepted' });
    expect(run({ credential: null, kind: 'palm' }, ctx)).toMatchObject({ outcome: 'deny', reason: 'credential_not_accepted' });
  });
});

describe('face_and_card', () => {
  const ctx = { credentialModes: only('face_and_card') };
  it('grants both, in either order', () => {
    expect(run({ ...face, factors: { presented: ['face', 'card'] } }, ctx).outcome).toBe('grant');
    expect(run({ factors: { presented: ['card', 'face'] } }, ctx).outcome).toBe('grant');
  });
  it('one alone is second_factor_missing (the kiosk waits), then second_factor_timeout', () => {
    expect(run(face, ctx)).toMatchObject({ outcome: 'deny', reason: 'second_factor_missing' });
    expect(run({}, ctx)).toMatchObject({ outcome: 'deny', reason: 'second_factor_missing' });
    expect(run({ factors: { presented: ['card'], timedOut: true } }, ctx)).toMatchObject({ outcome: 'deny', reason: 'second_factor_timeout' });
  });
  it('another person\'s face after the card is second_factor_mismatch', () => {
    expect(run({ factors: { presented: ['card', 'face'], mismatch: true } }, ctx)).toMatchObject({ outcome: 'deny', reason: 'second_factor_mismatch' });
  });
  it('a face that only confirmed a card still needs biometric consent', () => {
    const noConsent = pupil({ biometricConsent: false });
    expect(run({ person: noConsent, factors: { presented: ['card', 'face'] } }, ctx).reason).toBe('no_biometric_consent');
  });
});

describe('card_and_pin', () => {
  const ctx = { credentialModes: only('card_and_pin') };
  it('grants a card and its PIN', () => {
    expect(run({ factors: { presented: ['card', 'pin'] } }, ctx).outcome).toBe('grant');
  });
  it('denies a wrong PIN, a PIN never typed, and a face (not part of the mode)', () => {
    expect(run({ factors: { presented: ['card', 'pin'], mismatch: true } }, ctx).reason).toBe('second_factor_mismatch');
    expect(run({ factors: { presented: ['card'], timedOut: true } }, ctx).reason).toBe('second_factor_timeout');
    expect(run({}, ctx).reason).toBe('second_factor_missing');
    expect(run(face, ctx).reason).toBe('credential_not_accepted');
  });
});

describe('face_and_pin', () => {
  const ctx = { credentialModes: only('face_and_pin') };
  it('grants a face and its PIN', () => {
    expect(run({ ...face, factors: { presented: ['face', 'pin'] } }, ctx).outcome).toBe('grant');
  });
  it('denies a wrong PIN, a late PIN, a missing PIN and a card', () => {
    expect(run({ ...face, factors: { presented: ['face', 'pin'], mismatch: true } }, ctx).reason).toBe('second_factor_mismatch');
    expect(run({ ...face, factors: { presented: ['face'], timedOut: true } }, ctx).reason).toBe('second_factor_timeout');
    expect(run(face, ctx).reason).toBe('second_factor_missing');
    expect(run({}, ctx).reason).toBe('credential_not_accepted');
  });
});

describe('order: a first factor is only held when nothing else refuses the person', () => {
  const ctx = { credentialModes: only('card_and_pin') };
  it('a blocked person, a pupil outside the schedule, a holiday are refused at once, not asked for a PIN', () => {
    expect(run({ person: pupil({ status: 'blocked' }) }, ctx).reason).toBe('blocked');
    expect(run({ nowWallMs: at('2026-09-01T21:00') }, ctx).reason).toBe('outside_schedule');
    expect(run({ nowWallMs: at('2026-12-16T08:00') }, ctx).reason).toBe('holiday');
  });
  it('the factor check does not touch exits or emergency mode', () => {
    expect(run({ nowWallMs: MORNING }, { ...ctx, mode: 'emergency' }).outcome).toBe('grant');
  });
});

describe('factorsStillNeeded / checkFactors', () => {
  it('names what would complete the mode', () => {
    expect(factorsStillNeeded('card_and_pin', ['card'])).toEqual(['pin']);
    expect(factorsStillNeeded('face_and_card', ['card'])).toEqual(['face']);
    expect(factorsStillNeeded('face_and_card', ['face', 'card'])).toEqual([]);
    expect(factorsStillNeeded('any', ['qr'])).toEqual([]);
    expect(factorsStillNeeded('face_and_pin', ['card'])).toBeNull();
    // A PIN cannot start a mode: it identifies nobody.
    expect(factorsStillNeeded('card_and_pin', ['pin'])).toEqual(['card']);
    expect(checkFactors('face_or_card', { presented: ['face'] })).toBeNull();
  });
});

describe('presentation attacks: the door\'s action', () => {
  const suspected = { ...face, presentationAttack: 'suspected' as const };
  it('deny refuses a suspected face with spoof_suspected, before any other check', () => {
    expect(run(suspected, { presentationAttack: { main: 'deny' } })).toMatchObject({ outcome: 'deny', reason: 'spoof_suspected' });
    expect(run({ ...suspected, person: pupil({ status: 'blocked' }) }, { presentationAttack: { main: 'deny' } }).reason).toBe('spoof_suspected');
  });
  it('flag grants and records the flag; off ignores the verdict; "*" is the default', () => {
    expect(run(suspected, { presentationAttack: { main: 'flag' } })).toEqual({ outcome: 'grant', reason: null, flags: ['spoof_suspected'] });
    expect(run(suspected, { presentationAttack: { main: 'off', '*': 'deny' } })).toEqual({ outcome: 'grant', reason: null, flags: [] });
    expect(run(suspected, { presentationAttack: { '*': 'deny' } }).reason).toBe('spoof_suspected');
    expect(run(suspected, {}).outcome).toBe('grant');
  });
  it('a face that passed is granted at a deny door', () => {
    expect(run({ ...face, presentationAttack: 'passed' }, { presentationAttack: { main: 'deny' } }).outcome).toBe('grant');
  });
});

afterAll(() => {
  const mine: DenyReason[] = ['credential_not_accepted', 'second_factor_missing', 'second_factor_mismatch', 'second_factor_timeout', 'spoof_suspected'];
  expect([...seen].filter((r) => mine.includes(r)).sort()).toEqual([...mine].sort());
});

describe('config: the access rules', () => {
  it('refuses rules for doors that do not exist and combined modes the hot path cannot hold yet', async () => {
    const { accessCrossCheck } = await import('../../../device/config/access-schema.js');
    const doors = new Set(['main']);
    expect(accessCrossCheck(doors, [{ door: 'main', mode: 'face_or_card' }, { door: '*', mode: 'any' }], { main: {}, '*': {} })).toEqual([]);
    const problems = accessCrossCheck(doors, [{ door: 'gate', mode: 'any' }, { door: 'main', mode: 'card_and_pin' }], { lab: {} });
    expect(problems).toHaveLength(3);
    expect(problems[1]).toContain('card_and_pin');
  });
});
