// The device side of the protocol: push events, pull roster, pull and acknowledge commands.
// Every route is authenticated by the device's own bearer token (auth.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  MAX_BATCH_BYTES,
  MAX_ROSTER_PAGE,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  commandAckSchema,
  pushRequestEnvelopeSchema,
  wireEventSchema,
  type WireEvent,
} from '../client/wire.js';
import { VerifiedTokenCache, bearerToken, verifyToken } from './auth.js';
import { HubError, describeZod } from './errors.js';
import type { HubStorage, IngestRejection } from './storage.js';

export interface DeviceRouteOptions {
  storage: HubStorage;
  tokens: VerifiedTokenCache;
  now: () => number;
}

const deviceParams = z.object({ deviceId: z.string().min(1).max(128) });
const rosterQuery = z.object({
  since: z.string().regex(/^[cr]:\d{1,15}$/, 'cursor must look like c:123').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_ROSTER_PAGE).default(500),
});

export function formatCursor(cursor: number): string {
  return `c:${cursor}`;
}

async function authenticateDevice(request: FastifyRequest, options: DeviceRouteOptions): Promise<string> {
  const protocol = request.headers[PROTOCOL_HEADER];
  if (protocol !== undefined && protocol !== PROTOCOL_VERSION) throw new HubError(400, 'unsupported_protocol', `protocol ${String(protocol)} is not supported; this hub speaks ${PROTOCOL_VERSION}`);
  const { deviceId } = deviceParams.parse(request.params);
  const token = bearerToken(request.headers.authorization);
  if (!token) throw new HubError(401, 'unauthorized', 'missing or malformed bearer token');
  if (options.tokens.has(deviceId, token)) return deviceId;
  const device = await options.storage.device(deviceId);
  // Unknown device and wrong token answer the same, so the registry cannot be probed.
  if (!device || !(await verifyToken(token, device.tokenHash))) throw new HubError(401, 'unauthorized', 'unknown device or wrong token');
  if (device.disabled) throw new HubError(403, 'forbidden', 'device is disabled');
  options.tokens.remember(deviceId, token);
  return deviceId;
}

/** Splits a batch into valid events and rejections, so one bad event never sinks the others. */
function validateEvents(deviceId: string, raw: unknown[]): { valid: WireEvent[]; rejected: IngestRejection[] } {
  const valid: WireEvent[] = [];
  const rejected: IngestRejection[] = [];
  const seen = new Set<string>();
  raw.forEach((item, index) => {
    const parsed = wireEventSchema.safeParse(item);
    const rawId = typeof item === 'object' && item !== null && 'id' in item && typeof item.id === 'string' ? item.id : `#${index}`;
    if (!parsed.success) {
      rejected.push({ id: rawId, error: `schema: ${describeZod(parsed.error)}` });
    } else if (typeof parsed.data.deviceId === 'string' && parsed.data.deviceId !== deviceId) {
      rejected.push({ id: rawId, error: 'schema: deviceId does not match the authenticated device' });
    } else if (seen.has(parsed.data.id)) {
      rejected.push({ id: rawId, error: 'schema: id repeated within the batch' });
    } else {
      seen.add(parsed.data.id);
      valid.push(parsed.data);
    }
  });
  return { valid, rejected };
}

export function registerDeviceRoutes(app: FastifyInstance, options: DeviceRouteOptions): void {
  const { storage, now } = options;

  app.post('/v1/devices/:deviceId/events', { bodyLimit: MAX_BATCH_BYTES }, async (request) => {
    const deviceId = await authenticateDevice(request, options);
    const envelope = pushRequestEnvelopeSchema.parse(request.body);
    const { valid, rejected } = validateEvents(deviceId, envelope.events);
    return storage.ingest(deviceId, valid, rejected, envelope.anchor ?? null, now());
  });

  app.get('/v1/devices/:deviceId/roster', async (request, reply) => {
    const deviceId = await authenticateDevice(request, options);
    const query = rosterQuery.parse(request.query);
    const since = query.since === undefined ? null : Number(query.since.slice(2));
    // "r:N" continues a pull from the start; its last page hands out an ordinary "c:N".
    const full = query.since === undefined || query.since.startsWith('r:');
    const page = await storage.rosterPage(since, query.limit, full);
    if (!page) return reply.code(410).send({ error: 'cursor_expired', message: 'cursor is older than the compaction horizon; pull from the start' });
    const commands = await storage.pendingCommands(deviceId, now());
    const cursor = full && page.more ? `r:${page.cursor}` : formatCursor(page.cursor);
    return { changes: page.changes, cursor, more: page.more, commands };
  });

  app.get('/v1/devices/:deviceId/commands', async (request) => {
    const deviceId = await authenticateDevice(request, options);
    return { commands: await storage.pendingCommands(deviceId, now()) };
  });

  app.post('/v1/devices/:deviceId/commands/:commandId/ack', async (request) => {
    const deviceId = await authenticateDevice(request, options);
    const { commandId } = z.object({ commandId: z.uuid() }).parse(request.params);
    const ack = commandAckSchema.parse(request.body);
    if (!(await storage.ackCommand(deviceId, commandId, ack, now()))) throw new HubError(404, 'not_found', 'no such command for this device');
    return {};
  });
}
