// Device credentials: a random bearer token per device, stored only as an scrypt hash. Verifying
// scrypt costs tens of milliseconds by design, so a verified token is remembered (as a SHA-256
// digest, never the token) while the device keeps using it; rotating a device's token forgets it at once.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptParams } from './scrypt-worker.js';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** Where scrypt runs: the hub passes its worker thread (scrypt-worker.ts); tools may use libuv's pool. */
export type KeyDeriver = (secret: string, salt: Buffer, keyLength: number, params: ScryptParams) => Promise<Buffer>;

export const deriveOnLibuvPool: KeyDeriver = (secret, salt, keyLength, params) =>
  new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { ...params, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashToken(token: string, derive: KeyDeriver = deriveOnLibuvPool): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(token, salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Parameters a stored hash may carry: anything else is refused unverified (a hostile row cannot ask for N=2^30). */
function storedParams(n: string, r: string, p: string): ScryptParams | null {
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  return params.N === SCRYPT.N && params.r === SCRYPT.r && params.p === SCRYPT.p ? params : null;
}

export async function verifyToken(token: string, stored: string, derive: KeyDeriver = deriveOnLibuvPool): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const params = storedParams(n, r, p);
  if (!params) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(token, Buffer.from(salt, 'base64'), KEY_LENGTH, params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Constant-time comparison of two secrets of any length (digests first, so lengths do not leak). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/.exec(header);
  return match?.[1] ?? null;
}

export class VerifiedTokenCache {
  private readonly entries = new Map<string, { digest: Buffer; until: number }>();

  constructor(private readonly ttlMs = 5 * 60_000, private readonly now: () => number = Date.now) {}

  /** A hit extends the entry: a device syncing every few seconds never pays for scrypt again. */
  has(deviceId: string, token: string): boolean {
    const entry = this.entries.get(deviceId);
    if (!entry || entry.until < this.now()) return false;
    if (!timingSafeEqual(entry.digest, createHash('sha256').update(token).digest())) return false;
    entry.until = this.now() + this.ttlMs;
    return true;
  }

  remember(deviceId: string, token: string): void {
    this.entries.set(deviceId, { digest: createHash('sha256').update(token).digest(), until: this.now() + this.ttlMs });
  }

  forget(deviceId: string): void {
    this.entries.delete(deviceId);
  }
}
