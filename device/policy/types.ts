// The access policy's vocabulary. decide() is a pure function of these: no clock reads, no I/O,
// so every rule is testable by value and a decision can be replayed from its inputs.
import type { Credential, CredentialKind, Direction, Holiday, Person, Schedule } from '../../sync/store/types.js';

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
  'spoof_suspected', // set by identification, not here
  'store_unavailable', // the event could not be recorded durably and the fail mode is secure
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** Non-blocking observations carried on the event for the school to review. */
export type DecisionFlag = 'anti_passback_soft' | 'clock_untrusted' | 'emergency' | 'exit_always_allowed';

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
}

export type Decision =
  | { outcome: 'grant'; reason: null; flags: DecisionFlag[] }
  | { outcome: 'deny'; reason: DenyReason; flags: DecisionFlag[] };
