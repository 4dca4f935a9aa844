// The technician API behind `esik`. Every state-changing call is recorded as an `audit` event,
// which syncs upstream like any other event, naming both the user the CLI says it runs as (`actor`,
// its claim) and the uid the kernel reports for the connecting process (`peer`, peer-credentials.ts).
import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Direction } from '../../sync/store/index.js';
import { DirectionSchema, KioskModeSchema, TokenKindSchema } from '../vocabulary.js';
import type { KioskServices, StatusProvider } from '../services.js';
import { collectStatus } from './status.js';
import { changePersonStatus, erasePerson } from './person-actions.js';
import { registerEnrolRoute, type EnrolTarget } from './enrol.js';
import { registerSimulateFaceRoute } from './simulate-face.js';
import { PeerCredentialReader, type PeerCredentials } from './peer-credentials.js';
import { adminActor, audit } from './audit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** On the admin socket: the connecting process's credentials from the kernel (null: unknown). */
    adminPeer: PeerCredentials | null;
  }
}

/** Reads every admin connection's peer credentials before its request is handled. */
export function recordAdminPeers(admin: FastifyInstance, reader: PeerCredentialReader): void {
  admin.decorateRequest('adminPeer', null);
  admin.addHook('onRequest', async (request) => {
    request.adminPeer = await reader.of(request.raw.socket);
  });
}

const actor = z.string().min(1).max(64);
const SimulateBody = z.object({
  actor,
  kind: TokenKindSchema.default('card'),
  value: z.string().trim().min(1).max(256),
  door: z.string().min(1).optional(),
  direction: DirectionSchema.default('in'),
});
const RelayTestBody = z.object({ actor, door: z.string().min(1).optional(), direction: DirectionSchema.default('in') });
const PersonBody = z.object({ actor });
const ModeBody = z.object({ actor, mode: KioskModeSchema });
const EventsQuery = z.object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) });

function parse<T>(schema: z.ZodType<T>, input: unknown, reply: FastifyReply): T | null {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  void reply.code(400).send({ message: z.prettifyError(parsed.error) });
  return null;
}



function pickDoor(services: KioskServices, name: string | undefined, reply: FastifyReply): string | null {
  const chosen = name ?? services.doors.keys().next().value;
  if (chosen === undefined || !services.doors.has(chosen)) {
    void reply.code(404).send({ message: `no door named "${String(name)}"; doors: ${[...services.doors.keys()].join(', ')}` });
    return null;
  }
  return chosen;
}

/** The reader the presentation arrives at, so the per-reader queue applies as for a real reader. */
function readerIdFor(services: KioskServices, door: string, direction: Direction): string {
  for (const reader of services.readers.values()) if (reader.door === door && reader.direction === direction) return reader.id;
  return `admin:${door}:${direction}`;
}

export function registerAdminRoutes(services: KioskServices, providers: ReadonlyMap<string, StatusProvider>): void {
  const { admin } = services;
  recordAdminPeers(admin, new PeerCredentialReader({ logger: services.logger }));
  admin.get('/v1/status', () => collectStatus(services, providers));
  admin.get('/v1/events', async (request: FastifyRequest, reply) => {
    const query = parse(EventsQuery, request.query, reply);
    if (query === null) return reply;
    return { lastSeq: services.store.events.lastSeq(), events: await services.store.events.since(query.after, query.limit) };
  });
  admin.post('/v1/simulate', async (request, reply) => {
    const body = parse(SimulateBody, request.body, reply);
    if (body === null) return reply;
    const door = pickDoor(services, body.door, reply);
    if (door === null) return reply;
    await audit(services, adminActor(request, body.actor), 'simulate', { kind: body.kind, direction: body.direction }, door);
    const presentation = { kind: body.kind, readerId: readerIdFor(services, door, body.direction), monoMs: services.clock.monoMs(), value: body.value };
    const decision = await services.kiosk.submit(presentation, door, body.direction);
    if (decision === null) return { decided: false };
    return { decided: true, outcome: decision.outcome, reason: decision.reason, flags: decision.flags, door, direction: body.direction, personId: decision.person?.id ?? null, name: decision.person?.name ?? null, seq: decision.event?.seq ?? null };
  });
  registerSimulateFaceRoute(admin, services);
  admin.post('/v1/relay/test', async (request, reply) => {
    const body = parse(RelayTestBody, request.body, reply);
    if (body === null) return reply;
    const door = pickDoor(services, body.door, reply);
    if (door === null) return reply;
    // Audit first: the relay must not move without its record, even for a test.
    const recorded = await audit(services, adminActor(request, body.actor), 'relay.test', { direction: body.direction }, door);
    if (recorded === null) return reply.code(503).send({ message: 'the event store is not writable; relay not tested' });
    await services.doors.get(door)?.grant(body.direction);
    return { door, direction: body.direction, pulsed: true };
  });
  admin.post('/v1/mode', async (request, reply) => {
    const body = parse(ModeBody, request.body, reply);
    if (body === null) return reply;
    await audit(services, adminActor(request, body.actor), 'mode.set', { mode: body.mode });
    await services.kiosk.setMode(body.mode, body.actor);
    return { mode: body.mode };
  });
  admin.post('/v1/person/:id/:action', async (request, reply) => {
    const params = parse(z.object({ id: z.string().min(1), action: z.enum(['block', 'unblock', 'erase']) }), request.params, reply);
    const body = params === null ? null : parse(PersonBody, request.body, reply);
    if (params === null || body === null) return reply;
    const result = params.action === 'erase' ? await erasePerson(services, params.id) : await changePersonStatus(services, params.id, params.action === 'block' ? 'blocked' : 'active');
    if (!result.found) return reply.code(404).send({ message: `no person "${params.id}"` });
    await audit(services, adminActor(request, body.actor), `person.${params.action}`, { personId: params.id });
    return { personId: params.id, action: params.action, done: true };
  });
  // Templates (never images) from `esik enroll` and the simulator; the matcher follows the roster.
  registerEnrolRoute(admin, kioskEnrolTarget(services));
}

/** Enrolment inside the running kiosk: the store, then the in-memory roster (and so the matcher), then the events. */
export function kioskEnrolTarget(services: KioskServices): EnrolTarget {
  return {
    person: (id) => services.roster.person(id),
    apply: async (changes) => {
      const result = await services.store.roster.applyLocal(changes);
      services.roster.applyChanges(changes, result.purgedPersonIds);
      return result;
    },
    record: (event) => services.kiosk.record(event),
  };
}
