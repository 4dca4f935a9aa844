// The technician PIN that guards any local admin surface reachable beyond localhost (the simulator
// page, enrolment by upload). A PIN is short, so the hash is slow (scrypt) and guessing is rate
// limited: after 5 wrong attempts the surface is locked for a period, whoever asks.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT_PARAMS: ScryptOptions = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;
const FORMAT = 'scrypt-v1';

function scrypt(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** "scrypt-v1$N$r$p$salt$hash" (base64): self-describing, so parameters can be raised later. */
export async function hashPin(pin: string): Promise<string> {
  if (!/^\d{4,12}$/.test(pin)) throw new Error('a technician PIN is 4 to 12 digits');
  const salt = randomBytes(16);
  const key = await scrypt(pin, salt, SCRYPT_PARAMS);
  return [FORMAT, SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  options: ScryptOptions;
  salt: Buffer;
  key: Buffer;
}

function parseHash(encoded: string): ParsedHash {
  const parts = encoded.trim().split('$');
  if (parts.length !== 6 || parts[0] !== FORMAT) throw new Error('technician PIN hash: unknown format (expected scrypt-v1$N$r$p$salt$hash)');
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 };
  if (![options.N, options.r, options.p].every((v) => Number.isInteger(v) && v > 0)) throw new Error('technician PIN hash: bad parameters');
  return { options, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export async function verifyPin(pin: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  const candidate = await scrypt(pin, parsed.salt, parsed.options);
  return candidate.length === parsed.key.length && timingSafeEqual(candidate, parsed.key);
}

export interface PinGateOptions {
  /** The stored hash, or null when no PIN is configured: then only loopback clients are admitted. */
  hash: string | null;
  maxAttempts?: number;
  lockoutMs?: number;
  now?: () => number;
}

export type PinCheck = { ok: true } | { ok: false; reason: 'no_pin_configured' | 'locked' | 'wrong_pin'; retryAfterMs?: number };

/**
 * Counts failures across all clients: a lock per IP would let an attacker on the school network
 * rotate addresses. While locked, even the right PIN is refused, so a lockout cannot be probed.
 */
export class PinGate {
  private failures = 0;
  private lockedUntil = 0;
  private readonly maxAttempts: number;
  private readonly lockoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: PinGateOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.lockoutMs = options.lockoutMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    if (options.hash !== null) parseHash(options.hash); // refuse a malformed hash at start-up, not at first use
  }

  async check(pin: string): Promise<PinCheck> {
    if (this.options.hash === null) return { ok: false, reason: 'no_pin_configured' };
    const now = this.now();
    if (now < this.lockedUntil) return { ok: false, reason: 'locked', retryAfterMs: this.lockedUntil - now };
    if (await verifyPin(pin, this.options.hash)) {
      this.failures = 0;
      return { ok: true };
    }
    this.failures += 1;
    if (this.failures >= this.maxAttempts) {
      this.failures = 0;
      this.lockedUntil = this.now() + this.lockoutMs;
      return { ok: false, reason: 'locked', retryAfterMs: this.lockoutMs };
    }
    return { ok: false, reason: 'wrong_pin' };
  }
}
