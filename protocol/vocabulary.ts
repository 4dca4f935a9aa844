// The words the wire shares with the kiosk's store, declared once: the wire validates with these
// schemas and the store (sync/store/vocabulary.ts) re-exports them beside its own words, so a word
// added here reaches both sides. zod alone, like the rest of protocol/: the wire never imports the
// kiosk's store.
import { z } from 'zod';

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
