// The words the store, the kiosk and the lobby board share, each declared once as a zod enum: the
// list is the schema (config, routes and seed files validate with it) and the type is inferred from
// it, so a word added here reaches every check at once. The store owns the words it records;
// device/vocabulary.ts re-exports them beside the kiosk's own (modes, deny reasons).
import { z } from 'zod';

/** Every event type the log records (docs/protocol.md); stable, they go upstream. */
export const EventTypeSchema = z.enum([
  'access.granted',
  'access.denied',
  'door.opened',
  'door.forced',
  'door.held_open',
  'door.closed',
  'door.exit_request',
  'alarm.fire',
  'alarm.raised',
  'alarm.cleared',
  'tamper',
  'mode.changed',
  'template.enrolled',
  'person.erased',
  'person.blocked',
  'audit',
  'device.started',
  'device.stopped',
  'device.health',
  'reader.status',
]);
export type EventType = z.infer<typeof EventTypeSchema>;

/** The events a door controller reports about its own door (supervision, exit button, fire input). */
export const DoorEventTypeSchema = EventTypeSchema.extract([
  'door.opened',
  'door.forced',
  'door.held_open',
  'door.closed',
  'door.exit_request',
  'alarm.fire',
  'alarm.cleared',
]);
export type DoorEventType = z.infer<typeof DoorEventTypeSchema>;

/** A passage's direction: a reader's side of the door, a turnstile's arm. */
export const DirectionSchema = z.enum(['in', 'out']);
export type Direction = z.infer<typeof DirectionSchema>;

/** What a person presents: a card or QR (roster credentials) or a biometric (face, palm). */
export const CredentialKindSchema = z.enum(['card', 'qr', 'face', 'palm']);
export type CredentialKind = z.infer<typeof CredentialKindSchema>;

/** The credential kinds the roster holds as values (the rest are templates). */
export const TokenKindSchema = CredentialKindSchema.extract(['card', 'qr']);
export type TokenKind = z.infer<typeof TokenKindSchema>;

export const ModalitySchema = CredentialKindSchema.extract(['face', 'palm']);
export type Modality = z.infer<typeof ModalitySchema>;

export const PersonRoleSchema = z.enum(['student', 'staff', 'visitor', 'guardian']);
export type PersonRole = z.infer<typeof PersonRoleSchema>;

export const PersonStatusSchema = z.enum(['active', 'blocked', 'inactive']);
export type PersonStatus = z.infer<typeof PersonStatusSchema>;

/** How much of a name the lobby board may show. */
export const DisplayConsentSchema = z.enum(['none', 'initials', 'short', 'full']);
export type DisplayConsent = z.infer<typeof DisplayConsentSchema>;
