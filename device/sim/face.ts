// The simulator page's "present a face": an HTTP POST (not the /sim socket, whose messages are
// capped at 16 KiB) carrying one base64 photo or webcam still, admitted like the page before its
// body is read (access.ts), one image at a time. The image goes through the same path as
// `esik simulate face` and stays in memory only.
import { z } from 'zod';
import { FACE_BODY_LIMIT_BYTES, FaceImageBody, handleFaceRequest } from '../admin/index.js';
import type { FastifyInstance } from 'fastify';
import type { KioskServices } from '../services.js';
import type { SimRouteConfig } from './access.js';

const IMAGE_ROUTE: SimRouteConfig = { simAccess: 'api', imageUpload: true };

export function registerSimulatorFaceRoute(scope: FastifyInstance, services: KioskServices): void {
  scope.post('/sim/face', { bodyLimit: FACE_BODY_LIMIT_BYTES, config: IMAGE_ROUTE }, async (request, reply) => {
    const parsed = FaceImageBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ message: z.prettifyError(parsed.error) });
    const { status, payload } = await handleFaceRequest(services, parsed.data, 'sim-page');
    return reply.code(status).header('cache-control', 'no-store').send(payload);
  });
}
