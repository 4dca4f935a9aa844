// The access policy's vocabulary. decide() is a pure function of these: no clock reads, no I/O,
// so every rule is testable by value and a decision can be replayed from its inputs.
import type { Credential, CredentialKind, Direction, Holiday, Person, PersonRole, Schedule } from '../../sync/store/types.js';

export type KioskMode = 'normal' | 'lockdown' | 'emergency' | 'maintenance';
export const KIOSK_MODES: readonly KioskMode[] = ['normal', 'lockdown', 'emergency', 'maintenance'];

/** Stable deny reason codes: they go upstream, into reports and onto screens; never rename one. */
export const DENY_REASONS = [
  'unknown', // no person for this card / no face or palm match
  'blocked', // person blocked (lost card, parent request, upstream block)
  'inactive', // person no longer enrolled (left the school)
  'not_yet_valid', // person's validity window has not started (visitor pass)
  'expired', // person's validity window has ended
  'credential_not_yet_valid',
  'credential_expired',
  'credential_used', // one-time QR already consumed
  'no_biometric_consent', // face/palm matched but consent is absent: never used without it
  'no_access_to_door', // no schedule grants this role/group this door at all
  'outside_schedule', // schedules exist for this person and door, but not now
  'holiday',
  'anti_passback', // hard anti-passback: same direction twice
  'lockdown', // lockdown mode: staff only
  'maintenance', // maintenance mode: credentials do not move the door
  'clock_untrusted', // a time-bound pass cannot be checked while the clock is unknown
  'bad_capture', // image or reading unusable (set by identification, not here)
  'spoof_suspected', // presentation-attack detection judged the face a photo or a screen (door setting: deny)
  'store_unavailable', // the event could not be recorded durably and the fail mode is secure
  'credential_not_accepted', // this kind of credential is not part of the door's mode for this role (a QR at a face-or-card door)
  'second_factor_missing', // a combined mode's second factor never came (superseded by another presentation)
  'second_factor_mismatch', // the second factor belongs to someone else, or the PIN is wrong (or locked out)
  'second_factor_timeout', // the first factor waited for its second and the time ran out
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** Non-blocking observations carried on the event for the school to review. */
export type DecisionFlag = 'anti_passback_soft' | 'clock_untrusted' | 'emergency' | 'exit_always_allowed' | 'spoof_suspected';

/** What can be presented at a door: the credential kinds, plus a PIN typed on a keypad. */
export type FactorKind = CredentialKind | 'pin';

/**
 * Which credentials a door accepts, per role (config `policy.credentialModes`). `any`: every kind
 * alone (the default); `face_or_card`: a face or a card alone; the `_and_` modes want both, the
 * first identifying the person and the second proving it is them.
 */
export const CREDENTIAL_MODES = ['any', 'face_or_card', 'face_and_card', 'card_and_pin', 'face_and_pin'] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

/** One line of `policy.credentialModes`: the first rule naming the door ("*": any) and the role wins. */
export interface CredentialModeRule {
  door: string;
  /** Roles the rule applies to; absent = every role. */
  roles?: readonly PersonRole[];
  mode: CredentialMode;
}

/** The factors gathered for one decision (combined modes); absent = the one presentation's kind. */
export interface FactorEvidence {
  /** In the order presented: the first identified the person. */
  presented: readonly FactorKind[];
  /** A second factor came and did not prove the person (another person's card or face, a wrong PIN). */
  mismatch?: boolean;
  /** The first factor waited for its second until the configured timeout. */
  timedOut?: boolean;
}

/** Presentation-attack detection, per door: ignore its verdict, record it on a grant, or deny. */
export type PresentationAttackAction = 'off' | 'flag' | 'deny';

/** The liveness stage's verdict on a face decision; `not_checked` for every other kind. */
export type PresentationAttackVerdict = 'passed' | 'suspected' | 'not_checked';

export type AntiPassbackMode = 'off' | 'soft' | 'hard';

export interface LastPassage {
  direction: Direction;
  door: string;
  wallMs: number;
}

export interface AccessRequest {
  person: Person | null;
  /** The card or QR credential presented; null for face and palm. */
  credential: Credential | null;
  kind: CredentialKind;
  door: string;
  direction: Direction;
  nowWallMs: number;
  utcOffsetMinutes: number;
  clockTrusted: boolean;
  /** Combined modes: what was gathered. Absent = `kind` alone. */
  factors?: FactorEvidence;
  /** The liveness stage's verdict on a face (absent = not checked). */
  presentationAttack?: PresentationAttackVerdict;
}

export interface AccessContext {
  schedules: readonly Schedule[];
  /** Holiday dates ("2026-12-16") in school-local time. */
  holidays: ReadonlySet<string> | readonly Holiday[];
  mode: KioskMode;
  antiPassback: AntiPassbackMode;
  lastPassage?: LastPassage;
  /** The presented one-time credential has already been consumed. */
  credentialUsed: boolean;
  /** `policy.credentialModes`; absent or no rule for the door and role = `any`. */
  credentialModes?: readonly CredentialModeRule[];
  /** Per door ("*" for the rest): what a `suspected` verdict does. Absent = off. */
  presentationAttack?: Readonly<Record<string, PresentationAttackAction>>;
}

export type Decision =
  | { outcome: 'grant'; reason: null; flags: DecisionFlag[] }
  | { outcome: 'deny'; reason: DenyReason; flags: DecisionFlag[] };
