// The field cipher moved to lib/field-cipher.ts so the hub seals with the same code; the kiosk's
// store keeps importing it from here.
export { createFieldCipher, FieldCipherError, type FieldCipher } from '../../lib/index.js';
