// The technician PIN in front of every admin surface reachable beyond localhost (the simulator page,
// its socket, and its upload/enrol routes). Loopback clients pass; anyone else must send the PIN
// in the `x-esik-pin` header (scripts), or log in once through the form at POST /sim/login and then
// carry the session cookie (a browser). Every PIN is checked by the one PinGate of this kiosk (scrypt,
// lockout after 5 wrong attempts across all clients). Without a configured PIN, only loopback is admitted.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { audit } from '../admin/routes.js';
import type { KioskServices } from '../services.js';
import { safeWriteFile } from '../util/safe-write.js';
import { PinGate } from './technician-pin.js';

export const PIN_HEADER = 'x-esik-pin';
export const SIM_SESSION_COOKIE = 'esik_sim';
/** A session ends after this long without use; a new PIN ends every session at once. */
export const SIM_SESSION_IDLE_MS = 30 * 60_000;
/** Sessions at most (the oldest goes first): a technician or two, never a crowd. */
const MAX_SESSIONS = 16;

export type Headers = Record<string, string | string[] | undefined>;

export const isLoopbackAddress = (address: string | undefined): boolean =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

export interface TechnicianPinGuardOptions {
  hash: string | null;
  logger: Logger;
  /** Injectable for tests; the default recognises IPv4, IPv6 and mapped loopback. */
  isLoopback?: (address: string | undefined) => boolean;
  now?: () => number;
}

/** Reads the stored hash, or null when the file is not configured or does not exist yet. */
export async function readPinHashFile(file: string | undefined): Promise<string | null> {
  if (file === undefined) return null;
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? null : text;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') return null;
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

export class TechnicianPinGuard {
  #gate: PinGate;
  readonly #log: Logger;
  readonly #isLoopback: (address: string | undefined) => boolean;
  readonly #now: () => number;
  /** Session token -> when it expires (epoch ms). In memory only: a restart logs everyone out. */
  readonly #sessions = new Map<string, number>();

  constructor(private readonly options: TechnicianPinGuardOptions) {
    this.#gate = new PinGate({ hash: options.hash, now: options.now });
    this.#log = options.logger.child({ ns: 'pin' });
    this.#isLoopback = options.isLoopback ?? isLoopbackAddress;
    this.#now = options.now ?? Date.now;
  }

  /** A new PIN takes effect at once (the lockout counter starts afresh with it; sessions end). */
  replaceHash(hash: string): void {
    this.#gate = new PinGate({ hash, now: this.options.now });
    this.#sessions.clear();
  }

  /** Checks a PIN from the login form; a session token when it is right, else null. */
  async login(remoteAddress: string | undefined, pin: string): Promise<string | null> {
    const result = await this.#gate.check(pin);
    if (!result.ok) {
      this.#log.warn({ remoteAddress, reason: result.reason }, 'simulator login refused: technician PIN');
      return null;
    }
    const now = this.#now();
    for (const [token, expires] of this.#sessions) if (expires <= now) this.#sessions.delete(token);
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value ?? '');
    const token = randomBytes(32).toString('base64url');
    this.#sessions.set(token, now + SIM_SESSION_IDLE_MS);
    return token;
  }

  /** The SimAccessGuard: loopback, a live session cookie, or a valid PIN in the header. */
  readonly admit = async (remoteAddress: string | undefined, headers: Headers): Promise<boolean> => {
    if (this.#isLoopback(remoteAddress)) return true;
    if (this.#sessionAlive(cookieValue(headers.cookie, SIM_SESSION_COOKIE))) return true;
    const raw = headers[PIN_HEADER];
    const pin = Array.isArray(raw) ? raw[0] : raw;
    if (pin === undefined || pin === '') return false;
    const result = await this.#gate.check(pin);
    if (!result.ok) this.#log.warn({ remoteAddress, reason: result.reason }, 'admin surface refused: technician PIN');
    return result.ok;
  };

  /** True for a known, unexpired token, whose idle timer then starts again. */
  #sessionAlive(token: string | undefined): boolean {
    if (token === undefined) return false;
    const expires = this.#sessions.get(token);
    if (expires === undefined) return false;
    const now = this.#now();
    if (expires <= now) {
      this.#sessions.delete(token);
      return false;
    }
    this.#sessions.set(token, now + SIM_SESSION_IDLE_MS);
    return true;
  }
}

const LoginBody = z.object({ pin: z.string().min(1).max(64) });

/**
 * POST /sim/login (the form of device/sim/public/login.html): a right PIN sets the session cookie
 * (HttpOnly, SameSite=Strict, so another site cannot ride on it) and is audited; either way the
 * browser is sent back to /sim, which shows the simulator or the form again.
 */
export function registerSimulatorLogin(services: KioskServices, guard: TechnicianPinGuard): void {
  void services.http.register((scope: FastifyInstance, _options, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, body, parsed) => {
      parsed(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    scope.post('/sim/login', async (request, reply) => {
      const body = LoginBody.safeParse(request.body);
      if (!body.success) return reply.code(400).type('text/plain; charset=utf-8').send('technician PIN missing');
      const address = request.socket.remoteAddress;
      const token = await guard.login(address, body.data.pin);
      if (token === null) return reply.code(303).header('location', '/sim').send();
      await audit(services, `sim-page@${address ?? '?'}`, 'sim.login', {});
      // A browser-session cookie: the kiosk ends the session after SIM_SESSION_IDLE_MS without use.
      return reply.code(303).header('set-cookie', `${SIM_SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`).header('location', '/sim').send();
    });
    done();
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
    await audit(services, body.data.actor, 'pin.set', { file });
    return { changed: true };
  });
}
