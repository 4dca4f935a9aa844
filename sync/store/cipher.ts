// Field-level encryption for what must not be readable from a copy of the database file:
// template vectors and people's names. AES-256-GCM from node:crypto with a fresh random 12-byte IV
// per value. The AAD names the table, column and row (and for templates the owner), so a sealed
// value copied into another row fails authentication instead of silently moving a face to
// another child.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface FieldCipher {
  readonly keyId: string;
  seal(plain: Buffer, aad: string): Buffer;
  open(sealed: Buffer, aad: string): Buffer;
}

/** Sealed value layout, version 1: [0x01][iv 12][tag 16][ciphertext]. */
const FORMAT_V1 = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

export class FieldCipherError extends Error {
  override name = 'FieldCipherError';
}

export function createFieldCipher(key: Buffer, keyId: string): FieldCipher {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new FieldCipherError(`field cipher key must be 32 bytes, got ${Buffer.isBuffer(key) ? key.length : typeof key}`);
  }
  if (keyId.length === 0) throw new FieldCipherError('field cipher keyId must not be empty');
  // Keep a private copy so a caller zeroing or reusing its buffer cannot change the key under us.
  const secret = Buffer.from(key);
  return {
    keyId,
    seal(plain: Buffer, aad: string): Buffer {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed: Buffer, aad: string): Buffer {
      if (sealed.length < HEADER_BYTES) throw new FieldCipherError('sealed value is too short');
      if (sealed[0] !== FORMAT_V1) throw new FieldCipherError(`unknown sealed value format ${sealed[0]}`);
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
      } catch (error) {
        throw new FieldCipherError(`cannot open sealed value (${aad}): wrong key "${keyId}" or tampered data`, { cause: error });
      }
    },
  };
}
