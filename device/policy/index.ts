export { decide } from './decide.js';
export { checkFactors, credentialModeFor, factorsStillNeeded, presentationAttackActionFor } from './factors.js';
export { toLocalTime, parseClockTime, boundaryMs, localDay, type LocalTime } from './local-time.js';
export {
  CREDENTIAL_MODES,
  DENY_REASONS,
  KIOSK_MODES,
  type CredentialMode,
  type CredentialModeRule,
  type FactorEvidence,
  type FactorKind,
  type PresentationAttackAction,
  type PresentationAttackVerdict,
  type AccessContext,
  type AccessRequest,
  type AntiPassbackMode,
  type Decision,
  type DecisionFlag,
  type DenyReason,
  type KioskMode,
  type LastPassage,
} from './types.js';
