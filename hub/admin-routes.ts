// The school's side: device registry, roster administration (each write becomes roster changes
// with growing cursors), commands to devices, and the event read API for consumers such as a
// parent-notification service. Guarded by the admin token (or the read-only token for events).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  commandKinds,
  commandSchema,
  credentialSchema,
  holidaySchema,
  parseWireRosterChange,
  personSchema,
  scheduleSchema,
  settingSchema,
  wireTemplateSchema,
  wireId,
  type RosterEntityType,
  type WireRosterChange,
} from '../protocol/index.js';
import { bearerToken, generateToken } from './auth.js';
import { formatCursor } from './device-routes.js';
import { HubError } from './errors.js';
import type { HubAuth } from './hub-auth.js';
import type { HubStorage } from './storage.js';

export interface AdminRouteOptions {
  storage: HubStorage;
  auth: HubAuth;
  adminToken: string;
  readerToken: string | null;
  now: () => number;
}

const MAX_ADMIN_BATCH = 5000;

const personInput = personSchema.extend({
  shortName: personSchema.shape.shortName.default(null),
  group: personSchema.shape.group.default(null),
  role: personSchema.shape.role.default('student'),
  status: personSchema.shape.status.default('active'),
  validFrom: personSchema.shape.validFrom.default(null),
  validTo: personSchema.shape.validTo.default(null),
  biometricConsent: personSchema.shape.biometricConsent.default(false),
  displayConsent: personSchema.shape.displayConsent.default('short'),
});
const credentialInput = credentialSchema.extend({
  validFrom: credentialSchema.shape.validFrom.default(null),
  validTo: credentialSchema.shape.validTo.default(null),
  singleUse: credentialSchema.shape.singleUse.default(false),
});

/** URL segment → entity type, the body schema (with the URL id merged in) and the id field name. */
const entityRoutes: Record<string, { type: RosterEntityType; schema: z.ZodType; idField: string }> = {
  people: { type: 'person', schema: personInput, idField: 'id' },
  credentials: { type: 'credential', schema: credentialInput, idField: 'id' },
  templates: { type: 'template', schema: wireTemplateSchema, idField: 'id' },
  schedules: { type: 'schedule', schema: scheduleSchema, idField: 'id' },
  holidays: { type: 'holiday', schema: holidaySchema, idField: 'date' },
  settings: { type: 'setting', schema: settingSchema, idField: 'key' },
};

const entityParams = z.object({ kind: z.enum(Object.keys(entityRoutes) as [string, ...string[]]), id: wireId });

/** onRequest hooks: the admin (or reader) token is checked before the body is read. */
export function tokenGuard(auth: HubAuth, accepted: Array<string | null>): (request: FastifyRequest) => Promise<void> {
  return (request) => {
    auth.secret(bearerToken(request.headers.authorization), accepted, request.ip);
    return Promise.resolve();
  };
}

/** Templates only for people who exist on the hub and consented to biometric processing. */
async function checkConsent(storage: HubStorage, changes: readonly WireRosterChange[]): Promise<void> {
  const peopleInBatch = new Map<string, boolean>();
  for (const change of changes) {
    if (change.op === 'upsert' && change.type === 'person') peopleInBatch.set(change.data.id, change.data.biometricConsent);
  }
  for (const change of changes) {
    if (change.op !== 'upsert' || change.type !== 'template') continue;
    let consent = peopleInBatch.get(change.data.personId);
    if (consent === undefined) {
      const person = await storage.rosterEntity('person', change.data.personId);
      consent = person?.op === 'upsert' && person.type === 'person' && person.data.biometricConsent;
    }
    if (!consent) throw new HubError(409, 'consent_required', `person ${change.data.personId} does not exist or has no biometric consent`);
  }
}

async function setPersonStatus(storage: HubStorage, id: string, status: 'active' | 'blocked'): Promise<number> {
  const current = await storage.rosterEntity('person', id);
  if (current?.op !== 'upsert' || current.type !== 'person') throw new HubError(404, 'not_found', `no person ${id}`);
  return storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...current.data, status } }]);
}

function registerRosterRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { storage } = options;
  const onRequest = tokenGuard(options.auth, [options.adminToken]);

  app.put('/v1/admin/:kind/:id', { onRequest }, async (request) => {
    const { kind, id } = entityParams.parse(request.params);
    const route = entityRoutes[kind];
    if (!route) throw new HubError(404, 'not_found', `unknown entity kind ${kind}`);
    const body = z.record(z.string(), z.unknown()).parse(request.body ?? {});
    const data: unknown = route.schema.parse({ ...body, [route.idField]: id });
    const change = parseWireRosterChange({ op: 'upsert', type: route.type, data });
    await checkConsent(storage, [change]);
    return { cursor: formatCursor(await storage.applyRoster([change])) };
  });

  app.delete('/v1/admin/:kind/:id', { onRequest }, async (request) => {
    const { kind, id } = entityParams.parse(request.params);
    const route = entityRoutes[kind];
    if (!route) throw new HubError(404, 'not_found', `unknown entity kind ${kind}`);
    return { cursor: formatCursor(await storage.applyRoster([{ op: 'delete', type: route.type, id }])) };
  });

  app.post('/v1/admin/people/:id/block', { onRequest }, async (request) => {
    const { id } = z.object({ id: wireId }).parse(request.params);
    return { cursor: formatCursor(await setPersonStatus(storage, id, 'blocked')) };
  });

  app.post('/v1/admin/people/:id/unblock', { onRequest }, async (request) => {
    const { id } = z.object({ id: wireId }).parse(request.params);
    return { cursor: formatCursor(await setPersonStatus(storage, id, 'active')) };
  });

  app.post('/v1/admin/roster/batch', { bodyLimit: 64 * 1024 * 1024, onRequest }, async (request) => {
    const { changes: raw } = z.object({ changes: z.array(z.unknown()).min(1).max(MAX_ADMIN_BATCH) }).parse(request.body);
    const changes = raw.map((item) => parseWireRosterChange(item));
    await checkConsent(storage, changes);
    return { cursor: formatCursor(await storage.applyRoster(changes)), applied: changes.length };
  });

  app.post('/v1/admin/roster/compact', { onRequest }, async () => {
    return { horizon: formatCursor(await storage.compactRoster()) };
  });

  app.get('/v1/admin/groups', { onRequest }, async () => {
    return { groups: await storage.listGroups() };
  });
}

function registerDeviceAdminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { storage, auth, now } = options;
  const onRequest = tokenGuard(auth, [options.adminToken]);
  const idParams = z.object({ id: wireId });

  app.post('/v1/admin/devices', { onRequest }, async (request, reply) => {
    const body = z.object({ id: idParams.shape.id, name: z.string().max(256).nullable().default(null) }).parse(request.body);
    const token = generateToken();
    if (!(await storage.addDevice(body.id, body.name, await auth.hashToken(token)))) throw new HubError(409, 'conflict', `device ${body.id} exists; rotate its token instead`);
    return reply.code(201).send({ id: body.id, token });
  });

  app.post('/v1/admin/devices/:id/token', { onRequest }, async (request) => {
    const { id } = idParams.parse(request.params);
    const token = generateToken();
    if (!(await storage.setDeviceToken(id, await auth.hashToken(token)))) throw new HubError(404, 'not_found', `no device ${id}`);
    auth.forget(id);
    return { id, token };
  });

  app.get('/v1/admin/devices', { onRequest }, async () => {
    return { devices: await storage.listDevices() };
  });

  app.post('/v1/admin/devices/:id/commands', { onRequest }, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const body = z
      .object({ kind: z.enum(commandKinds), args: commandSchema.shape.args.default({}), ttlS: z.number().int().min(1).max(7 * 86400).nullable().default(null) })
      .parse(request.body);
    if (!(await storage.device(id))) throw new HubError(404, 'not_found', `no device ${id}`);
    // A remote door opening is only meaningful now: it expires after a minute unless told otherwise.
    const ttlS = body.ttlS ?? (body.kind === 'door.open' ? 60 : null);
    const createdMs = now();
    const command = { id: uuidv7(), kind: body.kind, args: body.args, createdAt: new Date(createdMs).toISOString(), expiresAt: ttlS === null ? null : new Date(createdMs + ttlS * 1000).toISOString() };
    await storage.addCommand(id, command);
    return reply.code(201).send(command);
  });

  app.get('/v1/admin/devices/:id/commands/:commandId', { onRequest }, async (request) => {
    const { id, commandId } = z.object({ id: idParams.shape.id, commandId: z.uuid() }).parse(request.params);
    const command = await storage.command(id, commandId);
    if (!command) throw new HubError(404, 'not_found', 'no such command');
    return command;
  });
}

export function registerAdminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  registerRosterRoutes(app, options);
  registerDeviceAdminRoutes(app, options);
  const readers = { onRequest: tokenGuard(options.auth, [options.adminToken, options.readerToken]) };
  app.get('/v1/events', readers, async (request) => {
    const query = z
      .object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(5000).default(500), deviceId: wireId.optional() })
      .parse(request.query);
    const page = await options.storage.readEvents(query.after, query.limit, query.deviceId);
    // A row that cannot be handed out is reported and passed over, never a 500 that stops the consumer.
    if (page.skipped.length > 0) request.log.warn({ skipped: page.skipped.slice(0, 5), count: page.skipped.length }, 'event read passed over unreadable rows');
    return { events: page.events, skipped: page.skipped, next: page.lastHubSeq ?? query.after, more: page.more };
  });
  app.get('/v1/admin/alarms', { onRequest: tokenGuard(options.auth, [options.adminToken]) }, async (request) => {
    const query = z
      .object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100), deviceId: wireId.optional() })
      .parse(request.query);
    const alarms = await options.storage.seqAlarms(query.after, query.limit, query.deviceId);
    return { alarms, next: alarms.at(-1)?.id ?? query.after };
  });
}
