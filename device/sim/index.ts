// The simulator page: a newcomer presents a card (click or type) and sees the decision, the reason
// and the relay state live. It feeds the same hot path as a real reader. Loopback only until a
// technician PIN guard is plugged in (`guard`), because it can open doors. Its HTTP routes live in
// one scope with security headers (@fastify/helmet), admission in onRequest (access.ts) and, for
// the login route a session plugin adds, a per-address rate limit (@fastify/rate-limit).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { KioskServices } from '../services.js';
import { audit } from '../admin/index.js';
import { OriginPolicy } from '../security/origin.js';
import { SingleSlot, simAccessHook, type SimAccessGuard, type SimRouteConfig } from './access.js';
import { registerSimulatorFaceRoute } from './face.js';
import { registerSimulatorEnrolRoute } from './enrol.js';
import { registerSimulatorPalmRoutes } from './palm.js';
import { decisionView } from './decision-view.js';
import { DirectionSchema, TokenKindSchema } from '../vocabulary.js';

export type { SimAccessGuard, SimRouteConfig } from './access.js';

const here = dirname(fileURLToPath(import.meta.url));
// Beside the module when run from source; in a release, tsc's dist/ holds no assets and they ship
// at the app root (device/sim/public), as the board's do.
const PUBLIC_DIR = existsSync(join(here, 'public')) ? join(here, 'public') : join(here, '..', '..', '..', 'device', 'sim', 'public');
const ASSETS: Record<string, string> = { 'sim.js': 'sim.js', 'sim.css': 'sim.css' };
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export const loopbackOnly: SimAccessGuard = (address) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/** The page's policy: its own scripts, styles and socket only; never framed (clickjacking a door). */
const SIM_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:', 'mediastream:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export interface SimulatorOptions {
  /** Registers more routes inside the simulator's scope (the PIN guard's login and logout). */
  sessionRoutes?: (scope: FastifyInstance) => void;
  origins?: OriginPolicy;
}

const routeConfig = (config: SimRouteConfig): { config: SimRouteConfig } => ({ config });

async function sendAsset(reply: FastifyReply, file: string): Promise<FastifyReply> {
  const body = await readFile(join(PUBLIC_DIR, file));
  return reply.type(TYPES[file.split('.').pop() ?? 'html'] ?? 'application/octet-stream').header('cache-control', 'no-store').send(body);
}

/** The simulator's HTTP routes, in a scope of their own (headers, admission, rate limit). */
function registerSimulatorHttp(services: KioskServices, guard: SimAccessGuard, options: SimulatorOptions, origins: OriginPolicy): void {
  void services.http.register(async (scope: FastifyInstance) => {
    await scope.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: SIM_CSP_DIRECTIVES }, strictTransportSecurity: false });
    // Only routes that ask for it (config.rateLimit: the login) are limited, per client address.
    await scope.register(rateLimit, { global: false });
    scope.addHook('onRequest', simAccessHook({ guard, origins, imageSlot: new SingleSlot(), loginPage: () => readFile(join(PUBLIC_DIR, 'login.html')) }));
    scope.get('/sim', routeConfig({ simAccess: 'page' }), (_request, reply) => sendAsset(reply, 'index.html'));
    scope.get('/sim/login.css', routeConfig({ simAccess: 'public' }), (_request, reply) => sendAsset(reply, 'login.css'));
    scope.get('/sim/:asset', routeConfig({ simAccess: 'asset' }), (request, reply) => {
      const file = ASSETS[(request.params as { asset: string }).asset];
      return file === undefined ? reply.code(404).send('not found') : sendAsset(reply, file);
    });
    // Faces (present and enrol) come over HTTP: a photo is far larger than a socket message may be.
    for (const register of [registerSimulatorFaceRoute, registerSimulatorEnrolRoute, registerSimulatorPalmRoutes]) register(scope, services);
    options.sessionRoutes?.(scope);
  });
}

const PresentMessage = z.object({
  kind: TokenKindSchema.default('card'),
  value: z.string().trim().min(1).max(256),
  door: z.string().min(1),
  direction: DirectionSchema.default('in'),
});
const InputMessage = z.object({ name: z.string().min(1), active: z.boolean() });

function hardwareView(services: KioskServices): Record<string, unknown> {
  const relays: Record<string, boolean> = {};
  for (const [name, relay] of services.relays) relays[name] = relay.energised;
  const inputs: Record<string, boolean> = {};
  for (const [name, input] of services.inputs) inputs[name] = input.read();
  const doors = [...services.doors.values()].map((door) => ({ name: door.name, snapshot: door.snapshot() }));
  return { doors, relays, inputs, mode: services.kiosk.mode };
}

function rosterView(services: KioskServices): Array<Record<string, unknown>> {
  const cards: Array<Record<string, unknown>> = [];
  for (const credential of services.roster.roster.credentials.values()) {
    const person = services.roster.person(credential.personId);
    cards.push({ kind: credential.kind, value: credential.value, personId: credential.personId, consent: person?.biometricConsent ?? false, name: person?.name ?? '?', group: person?.group ?? null, role: person?.role ?? null, status: person?.status ?? null });
    if (cards.length >= 60) break;
  }
  return cards;
}

export function registerSimulator(services: KioskServices, guard: SimAccessGuard = loopbackOnly, options: SimulatorOptions = {}): void {
  const { io, kiosk, logger } = services;
  const log = logger.child({ ns: 'sim' });
  const origins = options.origins ?? new OriginPolicy();
  registerSimulatorHttp(services, guard, options, origins);

  const namespace = io.of('/sim');
  namespace.use((socket, next) => {
    // A browser always sends Origin on a socket handshake: another site's page is refused here,
    // even from a browser on the kiosk itself (loopback) or next to a technician's session.
    if (!origins.allows(socket.handshake.headers.origin, socket.handshake.headers.host)) {
      log.warn({ address: socket.handshake.address, origin: socket.handshake.headers.origin }, 'simulator socket refused: cross-site Origin');
      next(new Error('simulator: cross-site socket refused (Origin)'));
      return;
    }
    void Promise.resolve(guard(socket.handshake.address, socket.handshake.headers)).then(
      (admitted) => next(admitted ? undefined : new Error('simulator: loopback or technician PIN only')),
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  });
  namespace.on('connection', (socket: Socket) => {
    socket.emit('hello', { deviceId: services.config.device.id, readers: [...services.readers.values()].map((r) => ({ id: r.id, door: r.door, direction: r.direction })), cards: rosterView(services), hardware: hardwareView(services) });
    socket.on('present', (message: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : () => undefined;
      const parsed = PresentMessage.safeParse(message);
      if (!parsed.success || !services.doors.has(parsed.data.door)) return reply({ error: parsed.success ? `no door "${parsed.data.door}"` : z.prettifyError(parsed.error) });
      const { kind, value, door, direction } = parsed.data;
      const reader = [...services.readers.values()].find((r) => r.door === door && r.direction === direction);
      const presentation = { kind, value, readerId: reader?.id ?? `sim:${door}:${direction}`, monoMs: services.clock.monoMs() };
      kiosk.submit(presentation, door, direction).then(
        (decision) => reply(decision === null ? { decided: false } : decisionView(decision)),
        (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
      );
    });
    socket.on('input', (message: unknown) => {
      const parsed = InputMessage.safeParse(message);
      const input = parsed.success ? services.inputs.get(parsed.data.name) : undefined;
      if (!parsed.success || input === undefined || !('set' in input) || typeof input.set !== 'function') return;
      void audit(services, 'sim-page', 'input.set', { input: parsed.data.name, active: parsed.data.active });
      (input.set as (active: boolean) => void).call(input, parsed.data.active);
    });
  });

  // Relay and input state: pushed when it changes (a pulse ends on a timer inside the door controller).
  let lastHardware = '';
  const pushHardware = (): void => {
    if (namespace.sockets.size === 0) return;
    const view = hardwareView(services);
    const text = JSON.stringify(view);
    if (text === lastHardware) return;
    lastHardware = text;
    namespace.emit('hardware', view);
  };
  const poll = setInterval(pushHardware, 100);
  poll.unref();
  kiosk.on('decision', (decision) => {
    namespace.emit('decision', decisionView(decision));
    pushHardware();
  });
  services.onShutdown(() => clearInterval(poll));
  log.debug('simulator registered at /sim');
}
