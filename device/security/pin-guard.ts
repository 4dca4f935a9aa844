// The technician PIN in front of every admin surface reachable beyond localhost (the simulator
// page, its socket, and its upload/enrol routes). Loopback clients pass; anyone else logs in once
// through POST /sim/login and then carries the session cookie, which is good only from the address
// (and browser) it was issued to. The PIN is checked at login only: there is no per-request PIN
// header any more, so one PIN costs one scrypt, on the PIN verifier's own thread, one at a time,
// behind a per-address rate limit and PinGate's per-address and global lockouts.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isErrno, isLoopbackAddress as isKioskAddress, normalizeAddress } from '../../lib/index.js';
import { adminActor, audit } from '../admin/index.js';
import type { KioskServices } from '../services.js';
import { registerSimulator } from '../sim/index.js';
import type { SimRouteConfig } from '../sim/index.js';
import { safeWriteFile } from '../util/safe-write.js';
import { OriginPolicy } from './origin.js';
import { PinVerifierThread } from './pin-verifier.js';
import { PinGate, type PinCheck, type PinVerify } from './technician-pin.js';

export const SIM_SESSION_COOKIE = 'esik_sim';
/** A session ends after this long without use; a new PIN ends every session at once. */
export const SIM_SESSION_IDLE_MS = 30 * 60_000;
/** Sessions at most (the oldest goes first): a technician or two, never a crowd. */
const MAX_SESSIONS = 16;
/** Login attempts per client address and minute, before the gate (a 429 costs no scrypt). */
export const LOGIN_RATE_LIMIT = { max: 10, timeWindow: 60_000 };

export type Headers = Record<string, string | string[] | undefined>;

export const isLoopbackAddress = (address: string | undefined): boolean => isKioskAddress(normalizeAddress(address));

export const clientKey = normalizeAddress;

export interface TechnicianPinGuardOptions {
  hash: string | null;
  logger: Logger;
  /** Where PINs are verified; the kiosk passes its PinVerifierThread's. Default: libuv's pool (tests). */
  verify?: PinVerify;
  /** Injectable for tests; the default recognises IPv4, IPv6 and mapped loopback. */
  isLoopback?: (address: string | undefined) => boolean;
  now?: () => number;
}

interface Session {
  expiresAt: number;
  /** The client address and user agent it was issued to: a copied cookie is no good elsewhere. */
  client: string;
  userAgent: string;
}

export type LoginResult = { ok: true; token: string } | { ok: false; reason: Exclude<PinCheck, { ok: true }>['reason'] };

/** Reads the stored hash, or null when the file is not configured or does not exist yet. */
export async function readPinHashFile(file: string | undefined): Promise<string | null> {
  if (file === undefined) return null;
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? null : text;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const userAgentOf = (headers: Headers): string => {
  const value = headers['user-agent'];
  return (Array.isArray(value) ? value.join(' ') : (value ?? '')).slice(0, 512);
};

export class TechnicianPinGuard {
  #gate: PinGate;
  readonly #log: Logger;
  readonly #isLoopback: (address: string | undefined) => boolean;
  readonly #now: () => number;
  /** Session token -> its expiry and client. In memory only: a restart logs everyone out. */
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly options: TechnicianPinGuardOptions) {
    this.#log = options.logger.child({ ns: 'pin' });
    this.#gate = this.#newGate(options.hash);
    this.#isLoopback = options.isLoopback ?? isLoopbackAddress;
    this.#now = options.now ?? Date.now;
  }

  /** A new PIN takes effect at once (the lockout counters start afresh with it; sessions end). */
  replaceHash(hash: string): void {
    this.#gate = this.#newGate(hash);
    this.#sessions.clear();
  }

  /** Checks a PIN from the login form; a session token bound to this client when it is right. */
  async login(remoteAddress: string | undefined, headers: Headers, pin: string): Promise<LoginResult> {
    const client = clientKey(remoteAddress);
    const result = await this.#gate.check(pin, client);
    if (!result.ok) {
      this.#log.warn({ remoteAddress, reason: result.reason }, 'simulator login refused: technician PIN');
      return { ok: false, reason: result.reason };
    }
    const now = this.#now();
    for (const [token, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(token);
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value ?? '');
    const token = randomBytes(32).toString('base64url');
    this.#sessions.set(token, { expiresAt: now + SIM_SESSION_IDLE_MS, client, userAgent: userAgentOf(headers) });
    return { ok: true, token };
  }

  /** Ends the session this cookie names, if it is this client's; true when one ended. */
  logout(remoteAddress: string | undefined, headers: Headers): boolean {
    const token = cookieValue(headers.cookie, SIM_SESSION_COOKIE);
    if (token === undefined || this.#session(token, remoteAddress, headers) === null) return false;
    return this.#sessions.delete(token);
  }

  /** The SimAccessGuard: loopback, or a live session cookie from the client it was issued to. */
  readonly admit = (remoteAddress: string | undefined, headers: Headers): boolean => {
    if (this.#isLoopback(remoteAddress)) return true;
    const token = cookieValue(headers.cookie, SIM_SESSION_COOKIE);
    if (token === undefined) return false;
    const session = this.#session(token, remoteAddress, headers);
    if (session === null) return false;
    session.expiresAt = this.#now() + SIM_SESSION_IDLE_MS;
    return true;
  };

  status(): Record<string, unknown> {
    return { sessions: this.#sessions.size, ...this.#gate.status() };
  }

  /** The live session behind a token, if this client holds it; a copied cookie is refused and logged. */
  #session(token: string, remoteAddress: string | undefined, headers: Headers): Session | null {
    const session = this.#sessions.get(token);
    if (session === undefined) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(token);
      return null;
    }
    if (session.client !== clientKey(remoteAddress) || session.userAgent !== userAgentOf(headers)) {
      this.#log.warn({ remoteAddress, issuedTo: session.client }, 'simulator session refused: cookie used from another client');
      return null;
    }
    return session;
  }

  #newGate(hash: string | null): PinGate {
    return new PinGate({
      hash,
      verify: this.options.verify,
      now: this.options.now,
      onLock: (scope, address, lockMs) => this.#log.warn({ scope, remoteAddress: address, lockMs }, scope === 'global' ? 'technician PIN locked for every address' : 'technician PIN locked for one address'),
    });
  }
}

const LoginBody = z.object({ pin: z.string().min(1).max(64) });
const SESSION_ROUTE: { config: SimRouteConfig } = { config: { simAccess: 'public' } };

async function handleLogin(services: KioskServices, guard: TechnicianPinGuard, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = LoginBody.safeParse(request.body);
  if (!body.success) return reply.code(400).type('text/plain; charset=utf-8').send('technician PIN missing');
  const address = request.socket.remoteAddress;
  const result = await guard.login(address, request.headers, body.data.pin);
  if (!result.ok && result.reason === 'busy') return reply.code(429).header('retry-after', '1').type('text/plain; charset=utf-8').send('another PIN is being checked; try again in a moment\n');
  if (!result.ok) return reply.code(303).header('location', '/sim').send();
  await audit(services, `sim-page@${address ?? '?'}`, 'sim.login', {});
  // A browser-session cookie: the kiosk ends the session after SIM_SESSION_IDLE_MS without use.
  return reply.code(303).header('set-cookie', `${SIM_SESSION_COOKIE}=${result.token}; HttpOnly; SameSite=Strict; Path=/`).header('location', '/sim').send();
}

/**
 * POST /sim/login (the form of device/sim/public/login.html, or a script's form or JSON body): a
 * right PIN sets the session cookie (HttpOnly, SameSite=Strict, so another site cannot ride on it)
 * and is audited; either way the browser is sent back to /sim, which shows the simulator or the
 * form again. POST /sim/logout ends the session, clears the cookie and is audited.
 * Registered inside the simulator's scope: same-origin only, rate-limited per address.
 */
export function registerSimulatorSessionRoutes(scope: FastifyInstance, services: KioskServices, guard: TechnicianPinGuard): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, body, parsed) => {
    parsed(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  scope.post('/sim/login', { ...SESSION_ROUTE, bodyLimit: 1024, config: { ...SESSION_ROUTE.config, rateLimit: LOGIN_RATE_LIMIT } }, (request, reply) => handleLogin(services, guard, request, reply));
  scope.post('/sim/logout', { ...SESSION_ROUTE, bodyLimit: 1024 }, async (request, reply) => {
    const address = request.socket.remoteAddress;
    if (guard.logout(address, request.headers)) await audit(services, `sim-page@${address ?? '?'}`, 'sim.logout', {});
    return reply.code(303).header('set-cookie', `${SIM_SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`).header('location', '/sim').send();
  });
}

const PinBody = z.object({ actor: z.string().min(1).max(64), hash: z.string().min(1).max(512) });

/** Writes the hash 0600 (the caller hashed the PIN; the PIN itself never travels or is stored). */
export async function writePinHash(file: string, hash: string): Promise<void> {
  new PinGate({ hash }); // refuses a malformed hash before it replaces a good one
  await safeWriteFile(file, `${hash}\n`, 0o600);
}

/** POST /v1/pin on the admin socket: `esik pin set` while the kiosk runs. */
export function registerPinRoutes(services: KioskServices, guard: TechnicianPinGuard): void {
  services.admin.post('/v1/pin', async (request, reply) => {
    const body = PinBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ message: z.prettifyError(body.error) });
    const file = services.config.security.pinHashFile;
    if (file === undefined) return reply.code(409).send({ message: 'security.pinHashFile is not configured' });
    try {
      await writePinHash(file, body.data.hash);
    } catch (error) {
      return reply.code(400).send({ message: error instanceof Error ? error.message : String(error) });
    }
    guard.replaceHash(body.data.hash);
    await audit(services, adminActor(request, body.data.actor), 'pin.set', { file });
    return { changed: true };
  });
}

export interface TechnicianAccessOptions {
  /** Test-only: which client addresses count as local (default: real loopback). */
  isLoopback?: (address: string | undefined) => boolean;
}

/**
 * The simulator behind the technician PIN: one guard and one PIN verifier thread for the kiosk,
 * the simulator's routes and socket, login and logout, `esik pin set`, and a status section.
 */
export async function attachTechnicianAccess(services: KioskServices, options: TechnicianAccessOptions = {}): Promise<TechnicianPinGuard> {
  const verifier = new PinVerifierThread({ logger: services.logger });
  const guard = new TechnicianPinGuard({ hash: await readPinHashFile(services.config.security.pinHashFile), logger: services.logger, verify: verifier.verify, isLoopback: options.isLoopback });
  registerSimulator(services, guard.admit, { origins: new OriginPolicy(), sessionRoutes: (scope) => registerSimulatorSessionRoutes(scope, services, guard) });
  registerPinRoutes(services, guard);
  services.addStatus('technicianPin', () => ({ ...guard.status(), verifier: verifier.status() }));
  services.onShutdown(() => verifier.close());
  return guard;
}
