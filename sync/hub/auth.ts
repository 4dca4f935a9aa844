// Device credentials: a random bearer token per device, stored only as an scrypt hash. Verifying
// scrypt costs tens of milliseconds by design, so a verified token is remembered (as a SHA-256
// digest, never the token) for a few minutes; rotating a device's token forgets it at once.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { ...params, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashToken(token: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(token, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyToken(token: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(token, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
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

  has(deviceId: string, token: string): boolean {
    const entry = this.entries.get(deviceId);
    if (!entry || entry.until < this.now()) return false;
    return timingSafeEqual(entry.digest, createHash('sha256').update(token).digest());
  }

  remember(deviceId: string, token: string): void {
    this.entries.set(deviceId, { digest: createHash('sha256').update(token).digest(), until: this.now() + this.ttlMs });
  }

  forget(deviceId: string): void {
    this.entries.delete(deviceId);
  }
}
