// The simulator page: a newcomer presents a card (click or type) and sees the decision, the reason
// and the relay state live. It feeds the same hot path as a real reader. Loopback only until a
// technician PIN guard is plugged in (`guard`), because it can open doors.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { KioskDecision } from '../kiosk/index.js';
import type { KioskServices } from '../services.js';
import { audit } from '../admin/routes.js';
import { registerSimulatorFaceRoute } from './face.js';
import { registerSimulatorEnrolRoute } from './enrol.js';
import { registerSimulatorPalmRoutes } from './palm.js';
import { decisionView } from './decision-view.js';

const here = dirname(fileURLToPath(import.meta.url));
const ASSETS: Record<string, string> = { '': 'index.html', 'sim.js': 'sim.js', 'sim.css': 'sim.css' };
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Decides whether a client may use the simulator; the privacy part replaces it with PIN + lockout. */
export type SimAccessGuard = (remoteAddress: string | undefined, headers: Record<string, string | string[] | undefined>) => boolean | Promise<boolean>;

export const loopbackOnly: SimAccessGuard = (address) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

const PresentMessage = z.object({
  kind: z.enum(['card', 'qr']).default('card'),
  value: z.string().trim().min(1).max(256),
  door: z.string().min(1),
  direction: z.enum(['in', 'out']).default('in'),
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

/** The page and its assets, to admitted clients; a browser elsewhere gets the PIN form instead of the page. */
async function serveAsset(guard: SimAccessGuard, request: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
  if (!(await guard(request.socket.remoteAddress, request.headers))) {
    // A browser elsewhere gets the PIN form for the page itself; assets and scripts just a refusal.
    if (name !== '') return reply.code(403).send('simulator: loopback or technician PIN only');
    return reply.code(401).type(TYPES.html).header('cache-control', 'no-store').send(await readFile(join(here, 'public', 'login.html')));
  }
  const file = ASSETS[name];
  if (file === undefined) return reply.code(404).send('not found');
  const body = await readFile(join(here, 'public', file));
  return reply.type(TYPES[file.split('.').pop() ?? 'html'] ?? 'application/octet-stream').header('cache-control', 'no-store').send(body);
}

export function registerSimulator(services: KioskServices, guard: SimAccessGuard = loopbackOnly): void {
  const { http, io, kiosk, logger } = services;
  const log = logger.child({ ns: 'sim' });
  http.get('/sim', (request, reply) => serveAsset(guard, request, reply, ''));
  http.get('/sim/:asset', (request, reply) => serveAsset(guard, request, reply, (request.params as { asset: string }).asset));
  // Faces (present and enrol) come over HTTP: a photo is far larger than a socket message may be.
  for (const register of [registerSimulatorFaceRoute, registerSimulatorEnrolRoute, registerSimulatorPalmRoutes]) register(services, guard);

  const namespace = io.of('/sim');
  namespace.use((socket, next) => {
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
  kiosk.on('decision', (decision: KioskDecision) => {
    namespace.emit('decision', decisionView(decision));
    pushHardware();
  });
  services.onShutdown(() => clearInterval(poll));
  log.debug('simulator registered at /sim');
}
