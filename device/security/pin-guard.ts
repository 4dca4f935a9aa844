// The technician PIN in front of every admin surface reachable beyond localhost (the simulator page,
// its socket, and its upload/enrol routes). Loopback clients pass; anyone else must send the PIN
// in the `x-esik-pin` header, checked by the one PinGate of this kiosk (scrypt, lockout after 5
// wrong attempts across all clients). Without a configured PIN, only loopback is admitted.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { audit } from '../admin/routes.js';
import type { KioskServices } from '../services.js';
import { safeWriteFile } from '../util/safe-write.js';
import { PinGate } from './technician-pin.js';

export const PIN_HEADER = 'x-esik-pin';

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

export class TechnicianPinGuard {
  #gate: PinGate;
  readonly #log: Logger;
  readonly #isLoopback: (address: string | undefined) => boolean;

  constructor(private readonly options: TechnicianPinGuardOptions) {
    this.#gate = new PinGate({ hash: options.hash, now: options.now });
    this.#log = options.logger.child({ ns: 'pin' });
    this.#isLoopback = options.isLoopback ?? isLoopbackAddress;
  }

  /** A new PIN takes effect at once (the lockout counter starts afresh with it). */
  replaceHash(hash: string): void {
    this.#gate = new PinGate({ hash, now: this.options.now });
  }

  /** The SimAccessGuard: loopback, or a valid PIN in the header. */
  readonly admit = async (remoteAddress: string | undefined, headers: Headers): Promise<boolean> => {
    if (this.#isLoopback(remoteAddress)) return true;
    const raw = headers[PIN_HEADER];
    const pin = Array.isArray(raw) ? raw[0] : raw;
    if (pin === undefined || pin === '') return false;
    const result = await this.#gate.check(pin);
    if (!result.ok) this.#log.warn({ remoteAddress, reason: result.reason }, 'admin surface refused: technician PIN');
    return result.ok;
  };
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
