// The wire protocol between a kiosk and the hub (docs/protocol.md, version 1): the one module both
// programs validate with. It depends on zod alone, never on the kiosk's store or the hub's storage,
// so the hub can be built and shipped without the kiosk and the kiosk without the hub.
export {
  MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_EVENT_DEPTH, MAX_MONO_MS, MAX_ROSTER_PAGE, MAX_SKIP_PER_PUSH,
  MAX_TRUSTED_LEAD_MS, MAX_WALL_MS, MIN_TRUSTED_WALL_MS, PROTOCOL_HEADER, PROTOCOL_VERSION, SAFE_ID, jsonDepth, wireId,
} from './wire.js';
export {
  clockAnchorSchema, errorBodySchema, pushRequestEnvelopeSchema, pushResponseSchema, seqSkipSchema, wireEventSchema,
  type ClockAnchor, type PushResponse, type SeqSkip, type WireEvent,
} from './wire.js';
export {
  credentialSchema, holidaySchema, personSchema, rosterPageSchema, rosterTypes, scheduleSchema, settingSchema,
  wireRosterChangeSchema, wireTemplateSchema, decodeTemplateVector, encodeTemplateVector, parseWireRosterChange,
  rosterEntityId, type RosterEntityType, type WireRosterChange,
} from './wire.js';
export { commandAckSchema, commandKinds, commandListSchema, commandSchema, type CommandAck, type HubCommand } from './wire.js';
export {
  CredentialKindSchema, DirectionSchema, DisplayConsentSchema, ModalitySchema, PersonRoleSchema, PersonStatusSchema, TokenKindSchema,
  type CredentialKind, type Direction, type DisplayConsent, type Modality, type PersonRole, type PersonStatus, type TokenKind,
} from './vocabulary.js';
export { LIBRARY_EVENT_TYPES, isLibraryEventType, libraryEventDataSchema, type LibraryEventData, type LibraryEventType } from './library.js';
export { CANTEEN_MEAL_EVENT, canteenMealDataSchema, mealTransferIds, type CanteenMealData } from './canteen.js';
export {
  MEAL_PERIOD_KINDS, canteenFileSchema, canteenPeriodSchema, canteenSnapshotSchema, dinerRecordSchema, dinersFileSchema, freeMealEntrySchema, guardianSettingsSchema, menuItemSchema, servedMealSchema,
  type CanteenFile, type CanteenSnapshot, type DinersFile,
} from './canteen-snapshot.js';
