// The technician PIN that guards any local admin surface reachable beyond localhost (the simulator
// page, enrolment by upload). A PIN is short, so the hash is slow (scrypt) and guessing is limited
// per client address and across all of them (PinGate below). Every attempt is counted BEFORE its
// hash is computed: attempts in flight count against the limit, so a burst cannot outrun it.
import { randomBytes, scrypt as scryptCallback, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

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

/** On libuv's thread pool: for the CLI and tests. The kiosk verifies on its own thread (pin-verifier.ts). */
export async function verifyPin(pin: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  const candidate = await scrypt(pin, parsed.salt, parsed.options);
  return candidate.length === parsed.key.length && timingSafeEqual(candidate, parsed.key);
}

/** Blocks the calling thread for the whole scrypt: only ever called on the PIN verifier's own worker thread. */
export function verifyPinSync(pin: string, encoded: string): boolean {
  const parsed = parseHash(encoded);
  const candidate = scryptSync(pin.normalize('NFKC'), parsed.salt, KEY_LENGTH, parsed.options);
  return candidate.length === parsed.key.length && timingSafeEqual(candidate, parsed.key);
}

/** Verifies one PIN against a hash; throws PinVerifierBusy when it will not take another now. */
export type PinVerify = (pin: string, encoded: string) => Promise<boolean>;

export class PinVerifierBusy extends Error {
  constructor() {
    super('a technician PIN is being checked already; try again in a moment');
    this.name = 'PinVerifierBusy';
  }
}

export interface PinGateOptions {
  /** The stored hash, or null when no PIN is configured: then only loopback clients are admitted. */
  hash: string | null;
  /** Wrong attempts from one client address before that address is locked (default 5). */
  maxAttempts?: number;
  /** How long one address stays locked (default 15 min). */
  lockoutMs?: number;
  /** Wrong attempts from all addresses together, within globalWindowMs, before everyone is locked (default 20). */
  globalMaxAttempts?: number;
  /** How long the global lock lasts: short, so an attacker cannot keep the technician out for long (default 1 min). */
  globalLockoutMs?: number;
  /** The window the global count looks back over (default 10 min). */
  globalWindowMs?: number;
  /** Defaults to verifyPin (libuv's pool); the kiosk passes its PinVerifierThread. */
  verify?: PinVerify;
  /** Told whenever a lock starts (the guard logs it). */
  onLock?: (scope: PinLockScope, address: string, lockMs: number) => void;
  now?: () => number;
}

export type PinRefusal = 'no_pin_configured' | 'locked' | 'wrong_pin' | 'busy';
export type PinCheck = { ok: true } | { ok: false; reason: PinRefusal; retryAfterMs?: number };
export type PinLockScope = 'address' | 'global';

/** Addresses remembered at most: a flood of spoofed-looking sources cannot grow the map without bound. */
const MAX_TRACKED_ADDRESSES = 1024;

interface AddressState {
  /** Attempts counted and not yet cleared by a success (in flight included). */
  attempts: number;
  lockedUntil: number;
}

/**
 * The lockout policy. Per address: `maxAttempts` wrong PINs lock that address for `lockoutMs`.
 * Globally: `globalMaxAttempts` wrong PINs from any addresses within `globalWindowMs` lock every
 * address for the (shorter) `globalLockoutMs`, so rotating addresses buys an attacker little and
 * the technician is kept out for a minute at most. While locked, even the right PIN is refused, so
 * a lockout cannot be probed. An attempt counts from the moment it is admitted, before its hash is
 * computed; a right PIN clears its address's count. Loopback clients never need the PIN.
 */
export class PinGate {
  private readonly addresses = new Map<string, AddressState>();
  /** When each counted, not-yet-cleared attempt (any address) started; pruned to the window. */
  private globalAttempts: number[] = [];
  private globalLockedUntil = 0;
  private readonly maxAttempts: number;
  private readonly lockoutMs: number;
  private readonly globalMaxAttempts: number;
  private readonly globalLockoutMs: number;
  private readonly globalWindowMs: number;
  private readonly verify: PinVerify;
  private readonly now: () => number;

  constructor(private readonly options: PinGateOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.lockoutMs = options.lockoutMs ?? 15 * 60_000;
    this.globalMaxAttempts = options.globalMaxAttempts ?? 20;
    this.globalLockoutMs = options.globalLockoutMs ?? 60_000;
    this.globalWindowMs = options.globalWindowMs ?? 10 * 60_000;
    this.verify = options.verify ?? verifyPin;
    this.now = options.now ?? Date.now;
    if (options.hash !== null) parseHash(options.hash); // refuse a malformed hash at start-up, not at first use
  }

  async check(pin: string, address = 'unknown'): Promise<PinCheck> {
    const hash = this.options.hash;
    if (hash === null) return { ok: false, reason: 'no_pin_configured' };
    const refused = this.admitAttempt(address);
    if (refused !== null) return refused;
    let right: boolean;
    try {
      right = await this.verify(pin, hash);
    } catch (error) {
      this.uncount(address);
      if (error instanceof PinVerifierBusy) return { ok: false, reason: 'busy' };
      throw error;
    }
    if (right) {
      this.uncount(address);
      this.addresses.delete(address);
      return { ok: true };
    }
    const state = this.addresses.get(address);
    if (state !== undefined && state.lockedUntil > this.now()) return { ok: false, reason: 'locked', retryAfterMs: state.lockedUntil - this.now() };
    if (this.globalLockedUntil > this.now()) return { ok: false, reason: 'locked', retryAfterMs: this.globalLockedUntil - this.now() };
    return { ok: false, reason: 'wrong_pin' };
  }

  /** What `esik status` shows: how many addresses are locked and until when everyone is. */
  status(): { lockedAddresses: number; globalLockedForMs: number; recentAttempts: number } {
    const now = this.now();
    let locked = 0;
    for (const state of this.addresses.values()) if (state.lockedUntil > now) locked += 1;
    this.pruneGlobal(now);
    return { lockedAddresses: locked, globalLockedForMs: Math.max(0, this.globalLockedUntil - now), recentAttempts: this.globalAttempts.length };
  }

  /**
   * Counts the attempt now, before verifying it, and sets the locks the moment a limit is reached:
   * the attempt that reaches a limit is still verified; any later one is refused unverified.
   */
  private admitAttempt(address: string): PinCheck | null {
    const now = this.now();
    if (now < this.globalLockedUntil) return { ok: false, reason: 'locked', retryAfterMs: this.globalLockedUntil - now };
    const state = this.addressState(address, now);
    if (now < state.lockedUntil) return { ok: false, reason: 'locked', retryAfterMs: state.lockedUntil - now };
    state.attempts += 1;
    if (state.attempts >= this.maxAttempts) {
      state.attempts = 0;
      state.lockedUntil = now + this.lockoutMs;
      this.options.onLock?.('address', address, this.lockoutMs);
    }
    this.pruneGlobal(now);
    this.globalAttempts.push(now);
    if (this.globalAttempts.length >= this.globalMaxAttempts) {
      this.globalAttempts = [];
      this.globalLockedUntil = now + this.globalLockoutMs;
      this.options.onLock?.('global', address, this.globalLockoutMs);
    }
    return null;
  }

  /** A right PIN (or an attempt never verified) does not count as a guess. */
  private uncount(address: string): void {
    const state = this.addresses.get(address);
    if (state !== undefined && state.attempts > 0) state.attempts -= 1;
    this.globalAttempts.pop();
  }

  private addressState(address: string, now: number): AddressState {
    let state = this.addresses.get(address);
    if (state === undefined) {
      if (this.addresses.size >= MAX_TRACKED_ADDRESSES) this.forgetOneAddress(now);
      state = { attempts: 0, lockedUntil: 0 };
      this.addresses.set(address, state);
    }
    return state;
  }

  /** Drops an unlocked address first; if every tracked address is locked, the oldest entry. */
  private forgetOneAddress(now: number): void {
    for (const [key, state] of this.addresses) {
      if (state.lockedUntil <= now) {
        this.addresses.delete(key);
        return;
      }
    }
    const oldest = this.addresses.keys().next().value;
    if (oldest !== undefined) this.addresses.delete(oldest);
  }

  private pruneGlobal(now: number): void {
    const from = now - this.globalWindowMs;
    while (this.globalAttempts.length > 0 && (this.globalAttempts[0] ?? now) < from) this.globalAttempts.shift();
  }
}
