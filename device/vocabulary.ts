// The kiosk's vocabulary, declared once: the store's words (event types, directions, credential
// kinds, roles; sync/store/vocabulary.ts, since the store is imported by device/ and not the other
// way round) and the kiosk's own (modes, deny reasons, flags). Each is a zod enum: config, routes and
// hub commands validate with the schema, and the type is inferred from it.
import { z } from 'zod';

export * from '../sync/store/index.js';

/** The kiosk's modes; a door follows the kiosk's (config `policy.mode`, the admin CLI, hub commands). */
export const KioskModeSchema = z.enum(['normal', 'lockdown', 'emergency', 'maintenance']);
export type KioskMode = z.infer<typeof KioskModeSchema>;
export const KIOSK_MODES = KioskModeSchema.options;

/** Stable deny reason codes: they go upstream, into reports and onto screens; never rename one. */
export const DenyReasonSchema = z.enum([
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
]);
export type DenyReason = z.infer<typeof DenyReasonSchema>;
export const DENY_REASONS = DenyReasonSchema.options;

/** What the door did with a presentation. */
export const DecisionOutcomeSchema = z.enum(['grant', 'deny']);
export type DecisionOutcome = z.infer<typeof DecisionOutcomeSchema>;

/** A reader's connection, as the kiosk records it (reader.status events carry it as their reason). */
export const ReaderStatusSchema = z.enum(['connected', 'disconnected', 'reconnecting', 'failed']);
export type ReaderStatus = z.infer<typeof ReaderStatusSchema>;

/** Non-blocking observations carried on the event for the school to review. */
export const DecisionFlagSchema = z.enum(['anti_passback_soft', 'clock_untrusted', 'emergency', 'exit_always_allowed', 'spoof_suspected']);
export type DecisionFlag = z.infer<typeof DecisionFlagSchema>;

export const AntiPassbackModeSchema = z.enum(['off', 'soft', 'hard']);
export type AntiPassbackMode = z.infer<typeof AntiPassbackModeSchema>;

/**
 * Which credentials a door accepts, per role (config `policy.credentialModes`). `any`: every kind
 * alone (the default); `face_or_card`: a face or a card alone; the `_and_` modes want both, the
 * first identifying the person and the second proving it is them.
 */
export const CredentialModeSchema = z.enum(['any', 'face_or_card', 'face_and_card', 'card_and_pin', 'face_and_pin']);
export type CredentialMode = z.infer<typeof CredentialModeSchema>;
export const CREDENTIAL_MODES = CredentialModeSchema.options;

/** Presentation-attack detection, per door: ignore its verdict, record it on a grant, or deny. */
export const PresentationAttackActionSchema = z.enum(['off', 'flag', 'deny']);
export type PresentationAttackAction = z.infer<typeof PresentationAttackActionSchema>;

/** What the kiosk does with a decision while its store cannot record: nobody passes, or known people do. */
export const FailModeSchema = z.enum(['secure', 'open-for-known']);
export type FailMode = z.infer<typeof FailModeSchema>;
