// The simulator page's "enrol a face": one base64 photo or webcam still for a person of the roster.
// The kiosk's own face engine turns it into a descriptor in memory; only that template is stored
// (through enrolTemplates, which checks consent and records template.enrolled + audit). The image
// is never written, logged or put in an event. Consent is checked before the image is even decoded:
// no biometric processing for someone who has not agreed to it.
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { EnrolmentRefused, encodeVector, enrolTemplates, enrolmentRefusal } from '../admin/index.js';
import { kioskEnrolTarget } from '../admin/index.js';
import { FACE_BODY_LIMIT_BYTES, FaceImageBody, MAX_FACE_IMAGE_BYTES } from '../admin/index.js';
import type { FastifyInstance } from 'fastify';
import type { KioskServices } from '../services.js';
import type { SimRouteConfig } from './access.js';

const IMAGE_ROUTE: SimRouteConfig = { simAccess: 'api', imageUpload: true };

const SimEnrolBody = z.object({
  personId: z.string().trim().min(1).max(128),
  image: FaceImageBody.shape.image,
});

type EnrolOutcome = { status: number; payload: Record<string, unknown> };

/** enrolTemplates' own refusals, checked before the face engine sees the image. */
function refusalBeforeExtraction(services: KioskServices, personId: string): EnrolOutcome | null {
  const refused = enrolmentRefusal(personId, services.roster.person(personId));
  if (refused === null) return null;
  return { status: refused.statusCode, payload: refused.reason === undefined ? { message: refused.message } : { reason: refused.reason, message: refused.message } };
}

export async function enrolFromImage(services: KioskServices, personId: string, image: Buffer): Promise<EnrolOutcome> {
  const refused = refusalBeforeExtraction(services, personId);
  if (refused !== null) return refused;
  if (image.length === 0 || image.length > MAX_FACE_IMAGE_BYTES) return { status: 413, payload: { message: `image must be 1..${MAX_FACE_IMAGE_BYTES} bytes` } };
  const engine = services.faceEngine.current();
  if (engine === null) return { status: 503, payload: { reason: 'face_engine_unavailable', message: 'the face engine is not loaded (see esik status); try again shortly' } };
  const extraction = await engine.extract(image).catch((error: unknown) => ({ ok: false as const, reason: 'not_an_image' as const, detail: error instanceof Error ? error.message : String(error) }));
  if (!extraction.ok) {
    return { status: 422, payload: { reason: extraction.reason, message: `image rejected: ${extraction.reason} (${extraction.detail}); it needs exactly one clear, frontal face` } };
  }
  const templateId = `face-sim-${uuidv7()}`;
  try {
    const result = await enrolTemplates(kioskEnrolTarget(services), {
      actor: 'sim-page',
      personId,
      source: 'simulator',
      templates: [{ id: templateId, modality: 'face', algo: engine.algo, vector: encodeVector(extraction.descriptor) }],
    });
    return { status: 200, payload: { ...result, templateId, quality: extraction.quality } };
  } catch (error: unknown) {
    if (error instanceof EnrolmentRefused) return { status: error.statusCode, payload: { message: error.message } };
    throw error;
  }
}

/** Admitted before its body is read and one image at a time (access.ts). */
export function registerSimulatorEnrolRoute(scope: FastifyInstance, services: KioskServices): void {
  scope.post('/sim/enrol', { bodyLimit: FACE_BODY_LIMIT_BYTES, config: IMAGE_ROUTE }, async (request, reply) => {
    const parsed = SimEnrolBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ message: z.prettifyError(parsed.error) });
    const { status, payload } = await enrolFromImage(services, parsed.data.personId, Buffer.from(parsed.data.image, 'base64'));
    return reply.code(status).header('cache-control', 'no-store').send(payload);
  });
}
