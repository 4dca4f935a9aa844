export { decide } from './decide.js';
export { toLocalTime, parseClockTime, boundaryMs, type LocalTime } from './local-time.js';
export {
  DENY_REASONS,
  KIOSK_MODES,
  type AccessContext,
  type AccessRequest,
  type AntiPassbackMode,
  type Decision,
  type DecisionFlag,
  type DenyReason,
  type KioskMode,
  type LastPassage,
} from './types.js';
