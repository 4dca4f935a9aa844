// Who may talk to the hub, decided in onRequest, before a byte of the body is read. A device's token
// is checked against its scrypt hash on the scrypt worker thread; an unknown device id is checked
// against a dummy hash, so both cost the same and the registry cannot be enumerated by timing.
// Failed attempts are limited per address and per device id (429 with Retry-After), and at most a
// few verifications wait for the worker at once (503 beyond): a flood of wrong tokens costs the
// attacker refusals, not the devices their sync.
import { VerifiedTokenCache, generateToken, hashToken, secretsEqual, verifyToken, type KeyDeriver } from './auth.js';
import { HubError } from './errors.js';
import { FailureLimiter } from './failure-limiter.js';
import { ScryptWorker } from './scrypt-worker.js';
import type { HubStorage } from './storage.js';

export interface TokenVerifier {
  verify(token: string, storedHash: string): Promise<boolean>;
  hash(token: string): Promise<string>;
  close(): Promise<void>;
}

/** Verifies and hashes on a dedicated thread, never on libuv's pool (which SQLite uses). */
export class ScryptTokenVerifier implements TokenVerifier {
  private readonly worker = new ScryptWorker();
  private readonly derive: KeyDeriver = (secret, salt, keyLength, params) => this.worker.derive(secret, salt, keyLength, params);

  verify(token: string, storedHash: string): Promise<boolean> {
    return verifyToken(token, storedHash, this.derive);
  }

  hash(token: string): Promise<string> {
    return hashToken(token, this.derive);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

export interface AuthLimits {
  /** Failed (or unfinished) authentications one address may make per window. */
  failuresPerAddress: number;
  /** Failed authentications against one device id per window, from addresses that never succeeded for it. */
  failuresPerDevice: number;
  windowMs: number;
  /** Verifications running or waiting for the scrypt thread; more are refused with 503. */
  maxPendingVerifications: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = { failuresPerAddress: 30, failuresPerDevice: 10, windowMs: 60_000, maxPendingVerifications: 4 };

export interface HubAuthOptions {
  storage: HubStorage;
  verifier: TokenVerifier;
  now: () => number;
  limits?: Partial<AuthLimits>;
}

/** Refusals close the connection: a client that sent headers for a 60 MB body gets no chance to send it. */
function refuse(status: number, code: string, message: string, retryAfterMs?: number): HubError {
  const headers: Record<string, string> = { connection: 'close' };
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return new HubError(status, code, message, headers);
}

export class HubAuth {
  readonly tokens: VerifiedTokenCache;
  private readonly limits: AuthLimits;
  private readonly byAddress: FailureLimiter;
  private readonly byDevice: FailureLimiter;
  /** The address each device last authenticated from: exempt from that device's id limit, so an attacker cannot lock a kiosk out. */
  private readonly lastGoodAddress = new Map<string, string>();
  private pendingVerifications = 0;
  private dummyHash: string | null = null;

  constructor(private readonly options: HubAuthOptions) {
    this.limits = { ...DEFAULT_AUTH_LIMITS, ...options.limits };
    this.tokens = new VerifiedTokenCache(5 * 60_000, options.now);
    this.byAddress = new FailureLimiter(this.limits.failuresPerAddress, this.limits.windowMs, options.now);
    this.byDevice = new FailureLimiter(this.limits.failuresPerDevice, this.limits.windowMs, options.now);
  }

  async start(): Promise<void> {
    this.dummyHash = await this.options.verifier.hash(generateToken());
  }

  stop(): Promise<void> {
    return this.options.verifier.close();
  }

  hashToken(token: string): Promise<string> {
    return this.options.verifier.hash(token);
  }

  /** Resolves when `token` is this device's; throws 401/403/429/503 HubErrors otherwise. */
  async device(deviceId: string, token: string | null, address: string): Promise<void> {
    if (!token) throw refuse(401, 'unauthorized', 'missing or malformed bearer token');
    if (this.tokens.has(deviceId, token)) return;
    this.checkLimits(address, this.lastGoodAddress.get(deviceId) === address ? null : deviceId);
    // An attempt turned away as busy still counts against its address: otherwise, while the first
    // few verifications run, a flood from one address is answered 503 without end and never reaches
    // its 429 (how soon depended on how fast the machine verified).
    this.byAddress.count(address);
    if (this.pendingVerifications >= this.limits.maxPendingVerifications) throw refuse(503, 'busy', 'too many authentications in progress', 1000);
    this.byDevice.count(deviceId);
    this.pendingVerifications += 1;
    let verified: boolean;
    let disabled: boolean;
    try {
      const device = await this.options.storage.device(deviceId);
      disabled = device?.disabled ?? false;
      // Unknown ids are verified too, against a hash no token matches: the same work, the same answer.
      verified = (await this.options.verifier.verify(token, device?.tokenHash ?? this.requireDummy())) && device !== null;
    } finally {
      this.pendingVerifications -= 1;
    }
    if (!verified) throw refuse(401, 'unauthorized', 'unknown device or wrong token');
    this.byAddress.refund(address);
    this.byDevice.refund(deviceId);
    if (disabled) throw refuse(403, 'forbidden', 'device is disabled');
    this.tokens.remember(deviceId, token);
    this.lastGoodAddress.set(deviceId, address);
  }

  /** The admin and reader tokens: a cheap comparison, but failures count against the address all the same. */
  secret(token: string | null, accepted: ReadonlyArray<string | null>, address: string): void {
    this.checkLimits(address, null);
    this.byAddress.count(address);
    if (!token || !accepted.some((secret) => secret !== null && secretsEqual(token, secret))) throw refuse(401, 'unauthorized', 'admin token required');
    this.byAddress.refund(address);
  }

  forget(deviceId: string): void {
    this.tokens.forget(deviceId);
  }

  private checkLimits(address: string, deviceId: string | null): void {
    const wait = this.byAddress.retryAfterMs(address) ?? (deviceId === null ? null : this.byDevice.retryAfterMs(deviceId));
    if (wait !== null) throw refuse(429, 'too_many_attempts', 'too many failed authentications; try again later', wait);
  }

  private requireDummy(): string {
    if (this.dummyHash === null) throw new Error('HubAuth.start() was not awaited');
    return this.dummyHash;
  }
}
