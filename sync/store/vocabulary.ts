// The words the store, the kiosk and the lobby board share, each declared once as a zod enum: the
// list is the schema (config, routes and seed files validate with it) and the type is inferred from
// it, so a word added here reaches every check at once. The store owns the words it records (the
// ones it shares with the wire come from protocol/); device/vocabulary.ts re-exports them beside the
// kiosk's own (modes, deny reasons).
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
  // The library desk (issue 20; data: protocol/library.ts).
  'library.loan',
  'library.return',
  'library.renew',
  // The canteen till (issue 19; data: protocol/canteen.ts).
  'canteen.meal',
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

// The words the store shares with the wire (directions, credential kinds, roles, statuses, display
// consent) are the protocol's own: declared once in protocol/vocabulary.ts.
export {
  CredentialKindSchema, DirectionSchema, DisplayConsentSchema, ModalitySchema, PersonRoleSchema, PersonStatusSchema, TokenKindSchema,
  type CredentialKind, type Direction, type DisplayConsent, type Modality, type PersonRole, type PersonStatus, type TokenKind,
} from '../../protocol/index.js';
