// Combined credential modes and presentation-attack actions, as pure rules. decide() calls them;
// the kiosk calls `factorsStillNeeded` to know whether to hold a first factor for its second.
import type { PersonRole } from '../../sync/store/index.js';
import type {
  CredentialMode,
  CredentialModeRule,
  DenyReason,
  FactorEvidence,
  FactorKind,
  PresentationAttackAction,
} from './types.js';

/** The factor sets that satisfy each mode; null = any single presentation does. */
const MODE_FACTORS: Record<CredentialMode, readonly (readonly FactorKind[])[] | null> = {
  any: null,
  face_or_card: [['face'], ['card']],
  face_and_card: [['face', 'card']],
  card_and_pin: [['card', 'pin']],
  face_and_pin: [['face', 'pin']],
};

/** The first rule for this door (or "*") and role; none = `any`, so a config without rules changes nothing. */
export function credentialModeFor(rules: readonly CredentialModeRule[] | undefined, door: string, role: PersonRole): CredentialMode {
  for (const rule of rules ?? []) {
    if (rule.door !== door && rule.door !== '*') continue;
    if (rule.roles !== undefined && !rule.roles.includes(role)) continue;
    return rule.mode;
  }
  return 'any';
}

/**
 * Factors that would complete the mode given what was presented (empty = complete), or null when
 * the first factor cannot start this mode at all (a QR at a face-and-card door).
 */
export function factorsStillNeeded(mode: CredentialMode, presented: readonly FactorKind[]): FactorKind[] | null {
  const sets = MODE_FACTORS[mode];
  if (sets === null) return [];
  const first = presented[0];
  const candidates = sets.filter((set) => first !== undefined && set.includes(first));
  if (candidates.length === 0) return null;
  const needed = new Set<FactorKind>();
  for (const set of candidates) {
    const missing = set.filter((factor) => !presented.includes(factor));
    if (missing.length === 0) return [];
    for (const factor of missing) needed.add(factor);
  }
  return [...needed];
}

/**
 * The mode's verdict on the gathered factors. A mismatch is reported before anything else: the
 * second factor said "not this person". `second_factor_missing` is what the kiosk waits on.
 */
export function checkFactors(mode: CredentialMode, evidence: FactorEvidence): DenyReason | null {
  const needed = factorsStillNeeded(mode, evidence.presented);
  if (needed === null) return 'credential_not_accepted';
  if (evidence.mismatch === true) return 'second_factor_mismatch';
  if (needed.length === 0) return null;
  return evidence.timedOut === true ? 'second_factor_timeout' : 'second_factor_missing';
}

/** The door's presentation-attack action ("*" is the default for doors not named; none = off). */
export function presentationAttackActionFor(settings: Readonly<Record<string, PresentationAttackAction>> | undefined, door: string): PresentationAttackAction {
  if (settings === undefined) return 'off';
  return settings[door] ?? settings['*'] ?? 'off';
}
