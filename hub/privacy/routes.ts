// Admin-token routes for data-subject requests. The token is checked in onRequest, before any body
// is read, and bodies are small: a request is a few fields.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tokenGuard } from '../admin-routes.js';
import type { HubAuth } from '../hub-auth.js';
import { newRequestSchema } from './model.js';
import type { PrivacyService } from './service.js';

export interface PrivacyRouteOptions {
  service: PrivacyService;
  auth: HubAuth;
  adminToken: string;
}

const REQUEST_BODY_LIMIT = 16 * 1024;

export function registerPrivacyRoutes(app: FastifyInstance, options: PrivacyRouteOptions): void {
  const { service } = options;
  const onRequest = tokenGuard(options.auth, [options.adminToken]);
  const idParams = z.object({ id: z.uuid() });

  app.post('/v1/admin/privacy/requests', { onRequest, bodyLimit: REQUEST_BODY_LIMIT }, async (request, reply) => {
    const created = await service.register(newRequestSchema.parse(request.body));
    return reply.code(201).send(created);
  });

  app.get('/v1/admin/privacy/requests', { onRequest }, async (request) => {
    const query = z
      .object({
        status: z.enum(['open', 'awaiting_devices', 'closed']).optional(),
        overdue: z.enum(['0', '1']).default('0'),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      })
      .parse(request.query);
    return { today: service.today(), requests: await service.list(query.status ?? null, query.overdue === '1', query.limit) };
  });

  app.get('/v1/admin/privacy/requests/:id', { onRequest }, async (request) => {
    return service.get(idParams.parse(request.params).id);
  });

  // No body: the request says what to do. A know request answers with the export.
  app.post('/v1/admin/privacy/requests/:id/execute', { onRequest, bodyLimit: 1024 }, async (request) => {
    return service.execute(idParams.parse(request.params).id);
  });

  // With ?cursor=N (a cursor an admin write returned, e.g. a consent withdrawal's): which devices
  // have pulled past it. The console shows a purge's acknowledgements from this.
  app.get('/v1/admin/privacy/devices', { onRequest }, async (request) => {
    const query = z.object({ cursor: z.string().regex(/^c:\d{1,15}$/).optional() }).parse(request.query);
    return { devices: await service.deviceAcks(query.cursor === undefined ? 0 : Number(query.cursor.slice(2))) };
  });
}
