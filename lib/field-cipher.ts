// Field-level encryption for what must not be readable from a copy of the database file:
// template vectors and people's names (the kiosk's store under its key; the hub's roster under
// per-person keys, hub/keys). AES-256-GCM from node:crypto with a fresh random 12-byte IV
// per value. The AAD names the table, column and row (and for templates the owner), so a sealed
// value copied into another row fails authentication instead of silently moving a face to
// another child.
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

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

/**
 * IVs come from a pooled CSPRNG fill rather than one randomBytes call each: sealing a 50,000-person
 * roster is dominated by per-value overhead. Each IV is still 12 fresh random bytes, used once.
 */
class IvPool {
  private readonly pool = Buffer.alloc(IV_BYTES * 1024);
  private offset = this.pool.length;

  copyInto(target: Buffer, at: number): void {
    if (this.offset >= this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    this.pool.copy(target, at, this.offset, this.offset + IV_BYTES);
    this.pool.fill(0, this.offset, this.offset + IV_BYTES);
    this.offset += IV_BYTES;
  }
}

export function createFieldCipher(key: Buffer, keyId: string): FieldCipher {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new FieldCipherError(`field cipher key must be 32 bytes, got ${Buffer.isBuffer(key) ? key.length : typeof key}`);
  }
  if (keyId.length === 0) throw new FieldCipherError('field cipher keyId must not be empty');
  // Keep a private copy so a caller zeroing or reusing its buffer cannot change the key under us.
  const secret = Buffer.from(key);
  const ivs = new IvPool();
  return {
    keyId,
    seal(plain: Buffer, aad: string): Buffer {
      const sealed = Buffer.allocUnsafe(HEADER_BYTES + plain.length);
      sealed[0] = FORMAT_V1;
      ivs.copyInto(sealed, 1);
      const cipher = createCipheriv('aes-256-gcm', secret, sealed.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      // GCM is a stream mode: update() returns exactly plain.length bytes and final() none.
      cipher.update(plain).copy(sealed, HEADER_BYTES);
      cipher.final();
      cipher.getAuthTag().copy(sealed, 1 + IV_BYTES);
      return sealed;
    },
    open(sealed: Buffer, aad: string): Buffer {
      if (sealed.length < HEADER_BYTES) throw new FieldCipherError('sealed value is too short');
      if (sealed[0] !== FORMAT_V1) throw new FieldCipherError(`unknown sealed value format ${sealed[0]}`);
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      const plain = decipher.update(sealed.subarray(HEADER_BYTES));
      try {
        decipher.final();
        return plain;
      } catch (error) {
        plain.fill(0); // unauthenticated output is never handed out
        throw new FieldCipherError(`cannot open sealed value (${aad}): wrong key "${keyId}" or tampered data`, { cause: error });
      }
    },
  };
}
