// The access policy's vocabulary. decide() is a pure function of these: no clock reads, no I/O,
// so every rule is testable by value and a decision can be replayed from its inputs.
import type { Credential, Holiday, LastPassage, Person, Schedule } from '../../sync/store/index.js';
import type { AntiPassbackMode, CredentialKind, CredentialMode, Direction, DecisionFlag, DenyReason, KioskMode, PersonRole, PresentationAttackAction } from '../vocabulary.js';

export {
  CREDENTIAL_MODES, DENY_REASONS, KIOSK_MODES,
  type AntiPassbackMode, type CredentialMode, type DecisionFlag, type DenyReason, type KioskMode, type PresentationAttackAction,
} from '../vocabulary.js';
export type { LastPassage } from '../../sync/store/index.js';

/** What can be presented at a door: the credential kinds, plus a PIN typed on a keypad. */
export type FactorKind = CredentialKind | 'pin';

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

/** The liveness stage's verdict on a face decision; `not_checked` for every other kind. */
export type PresentationAttackVerdict = 'passed' | 'suspected' | 'not_checked';

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
