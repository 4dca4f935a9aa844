// The simulator page's "present a face": an HTTP POST (not the /sim socket, whose messages are
// capped at 16 KiB) carrying one base64 photo or webcam still, guarded exactly like the page. The
// image goes through the same path as `esik simulate face` and stays in memory only.
import { z } from 'zod';
import { FACE_BODY_LIMIT_BYTES, FaceImageBody, handleFaceRequest } from '../admin/simulate-face.js';
import type { KioskServices } from '../services.js';
import type { SimAccessGuard } from './index.js';

export function registerSimulatorFaceRoute(services: KioskServices, guard: SimAccessGuard): void {
  services.http.post('/sim/face', { bodyLimit: FACE_BODY_LIMIT_BYTES }, async (request, reply) => {
    if (!(await guard(request.socket.remoteAddress, request.headers))) return reply.code(403).send({ message: 'simulator: loopback or technician PIN only' });
    const parsed = FaceImageBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ message: z.prettifyError(parsed.error) });
    const { status, payload } = await handleFaceRequest(services, parsed.data, 'sim-page');
    return reply.code(status).header('cache-control', 'no-store').send(payload);
  });
}
