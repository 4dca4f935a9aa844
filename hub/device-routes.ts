// The device side of the protocol: push events, pull roster, pull and acknowledge commands.
// Every route is authenticated by the device's own bearer token (auth.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  MAX_BATCH_BYTES,
  MAX_ROSTER_PAGE,
  MAX_TRUSTED_LEAD_MS,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  clockAnchorSchema,
  commandAckSchema,
  pushRequestEnvelopeSchema,
  wireEventSchema,
  wireId,
  type ClockAnchor,
  type PushResponse,
} from '../protocol/index.js';
import { bearerToken } from './auth.js';
import { HubError, describeZod } from './errors.js';
import type { HubAuth } from './hub-auth.js';
import type { HubStorage, IngestItem } from './storage.js';

export interface DeviceRouteOptions {
  storage: HubStorage;
  auth: HubAuth;
  now: () => number;
  /** Told what became of each push's events (the hub's metrics). */
  onPush?: (response: PushResponse) => void;
  /**
   * Told the cursor a device pulls after (`since=c:N`): it has applied the roster up to N, its
   * acknowledgement of every change at or below N (hub/privacy closes block and destroy requests on it).
   */
  onRosterPull?: (deviceId: string, appliedCursor: number) => Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The device the bearer token was verified for (device routes, set in onRequest). */
    deviceId: string;
  }
}

const deviceParams = z.object({ deviceId: wireId });
const rosterQuery = z.object({
  since: z.string().regex(/^[cr]:\d{1,15}$/, 'cursor must look like c:123').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_ROSTER_PAGE).default(500),
});

export function formatCursor(cursor: number): string {
  return `c:${cursor}`;
}

/** onRequest: protocol version, device id and token, before the body is read. */
export async function authenticateDevice(request: FastifyRequest, auth: HubAuth): Promise<void> {
  const protocol = request.headers[PROTOCOL_HEADER];
  if (protocol !== undefined && protocol !== PROTOCOL_VERSION) {
    throw new HubError(400, 'unsupported_protocol', `protocol ${String(protocol)} is not supported; this hub speaks ${PROTOCOL_VERSION}`, { connection: 'close' });
  }
  const params = deviceParams.safeParse(request.params);
  // An id outside the safe alphabet cannot be registered: answer as for any unknown device.
  const deviceId = params.success ? params.data.deviceId : '(invalid)';
  await auth.device(deviceId, bearerToken(request.headers.authorization), request.ip);
  request.deviceId = deviceId;
}

function readableSeq(item: unknown): number | null {
  const seq = typeof item === 'object' && item !== null && 'seq' in item ? item.seq : null;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 ? seq : null;
}

/** Checks each event alone, so one bad event never sinks the others; the hub's clock bounds trusted times. */
function validateEvents(deviceId: string, raw: unknown[], nowMs: number): IngestItem[] {
  const seen = new Set<string>();
  return raw.map((item, index): IngestItem => {
    const parsed = wireEventSchema.safeParse(item);
    const rawId = typeof item === 'object' && item !== null && 'id' in item && typeof item.id === 'string' ? item.id.slice(0, 64) : `#${index}`;
    const reject = (error: string): IngestItem => ({ rejected: { id: rawId, seq: readableSeq(item), error } });
    if (!parsed.success) return reject(`schema: ${describeZod(parsed.error)}`);
    const event = parsed.data;
    if (event.deviceId !== undefined && event.deviceId !== deviceId) return reject('schema: deviceId does not match the authenticated device');
    if (event.timeTrusted && event.wallMs > nowMs + MAX_TRUSTED_LEAD_MS) return reject('schema: wallMs: a trusted time more than a day ahead of the hub');
    if (seen.has(event.id)) return reject('schema: id repeated within the batch');
    seen.add(event.id);
    return { event };
  });
}

function usableAnchor(raw: unknown, nowMs: number, request: FastifyRequest): ClockAnchor | null {
  if (raw === undefined) return null;
  const anchor = clockAnchorSchema.safeParse(raw);
  if (anchor.success && anchor.data.wallMs <= nowMs + MAX_TRUSTED_LEAD_MS) return anchor.data;
  request.log.warn({ deviceId: request.deviceId }, 'push carried an unusable clock anchor: ignored');
  return null;
}

export function registerDeviceRoutes(app: FastifyInstance, options: DeviceRouteOptions): void {
  const { storage, now } = options;
  app.decorateRequest('deviceId', '');
  const onRequest = (request: FastifyRequest): Promise<void> => authenticateDevice(request, options.auth);

  // Depth is bounded per event (protocol/wire.ts), so one deep event is refused alone; the body scan only
  // stops what no push could be (JSON.parse itself does not recurse).
  app.post('/v1/devices/:deviceId/events', { bodyLimit: MAX_BATCH_BYTES, onRequest, config: { maxBodyDepth: MAX_BATCH_BYTES } }, async (request) => {
    const deviceId = request.deviceId;
    const envelope = pushRequestEnvelopeSchema.parse(request.body);
    const nowMs = now();
    const items = validateEvents(deviceId, envelope.events, nowMs);
    const response = await storage.ingest(deviceId, items, usableAnchor(envelope.anchor, nowMs, request), envelope.skip ?? null, nowMs);
    options.onPush?.(response);
    const conflicts = response.rejected.filter((r) => r.error.startsWith('conflict:'));
    if (conflicts.length > 0) request.log.warn({ deviceId, conflicts: conflicts.slice(0, 5) }, 'seq or id conflict: another event already holds it (see GET /v1/admin/alarms)');
    if (envelope.skip) request.log.warn({ deviceId, skip: envelope.skip }, 'device declared seqs it will never send');
    return response;
  });

  app.get('/v1/devices/:deviceId/roster', { onRequest }, async (request, reply) => {
    const deviceId = request.deviceId;
    const query = rosterQuery.parse(request.query);
    const since = query.since === undefined ? null : Number(query.since.slice(2));
    // "r:N" continues a pull from the start; its last page hands out an ordinary "c:N".
    const full = query.since === undefined || query.since.startsWith('r:');
    // An "r:N" is mid-way through a pull from the start: the device has not replaced its roster yet.
    // Recording it must not cost the device its pull: a failure is logged and the next pull records it.
    if (since !== null && !full) await options.onRosterPull?.(deviceId, since).catch((error: unknown) => request.log.warn({ err: error, deviceId }, 'could not record the roster acknowledgement'));
    const page = await storage.rosterPage(since, query.limit, full);
    if (!page) return reply.code(410).send({ error: 'cursor_expired', message: 'cursor is older than the compaction horizon; pull from the start' });
    const commands = await storage.pendingCommands(deviceId, now());
    const cursor = full && page.more ? `r:${page.cursor}` : formatCursor(page.cursor);
    return { changes: page.changes, cursor, more: page.more, commands };
  });

  app.get('/v1/devices/:deviceId/commands', { onRequest }, async (request) => {
    return { commands: await storage.pendingCommands(request.deviceId, now()) };
  });

  app.post('/v1/devices/:deviceId/commands/:commandId/ack', { onRequest }, async (request) => {
    const { commandId } = z.object({ commandId: z.uuid() }).parse(request.params);
    const ack = commandAckSchema.parse(request.body);
    if (!(await storage.ackCommand(request.deviceId, commandId, ack, now()))) throw new HubError(404, 'not_found', 'no such command for this device');
    return {};
  });
}
