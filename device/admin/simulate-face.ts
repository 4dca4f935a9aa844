// "Present a face" without a camera: `esik simulate face IMAGE` and the simulator page send one
// image, which goes through the same hot path as camera frames (face engine, matcher, multi-frame
// decider, policy, door). The image stays in memory for the length of the request: it is never
// written anywhere and never put in an event or a log line (only its size is audited).
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { DirectionSchema, type DecisionOutcome, type Direction } from '../vocabulary.js';
import type { KioskServices } from '../services.js';
import { adminActor, audit, type AdminActor } from './audit.js';

/** Larger than any camera frame the kiosk handles; a bigger upload is refused before decoding. */
export const MAX_FACE_IMAGE_BYTES = 4 * 1024 * 1024;
/** Fastify body limit for a JSON body carrying a base64 image of at most MAX_FACE_IMAGE_BYTES. */
export const FACE_BODY_LIMIT_BYTES = Math.ceil((MAX_FACE_IMAGE_BYTES * 4) / 3) + 64 * 1024;

export const FaceImageBody = z.object({
  image: z
    .string()
    .min(4)
    .max(Math.ceil((MAX_FACE_IMAGE_BYTES * 4) / 3) + 4, `image larger than ${MAX_FACE_IMAGE_BYTES} bytes`)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/u, 'image must be base64'),
  door: z.string().min(1).optional(),
  direction: DirectionSchema.default('in'),
  /** Frames submitted at most (one camera frame each); default: the face policy's consecutiveFrames. */
  frames: z.number().int().min(1).max(30).optional(),
});
export type FaceImageRequest = z.infer<typeof FaceImageBody>;

export interface FaceSimulationResult {
  /** granted / denied as the door saw it; pending: the decider wanted more frames than were sent. */
  result: 'granted' | 'denied' | 'pending';
  decided: boolean;
  outcome: DecisionOutcome | null;
  reason: string | null;
  /** The face engine's reason when the image was refused as a capture (no_face, decode_failed...). */
  capture: string | null;
  door: string;
  direction: Direction;
  personId: string | null;
  name: string | null;
  seq: number | null;
  framesSent: number;
}

export function defaultFaceFrames(services: KioskServices): number {
  return services.config.biometric?.face.consecutiveFrames ?? 1;
}

/**
 * Submits `image` up to `frames` times at `door` as face presentations of one simulated reader
 * (its own multi-frame decider, separate from any real camera at that door) and stops at the
 * first decision.
 */
export async function presentFace(services: KioskServices, image: Buffer, door: string, direction: Direction, frames: number): Promise<FaceSimulationResult> {
  const readerId = `sim-face:${door}:${direction}`;
  let framesSent = 0;
  for (let i = 0; i < frames; i++) {
    framesSent++;
    const decision = await services.kiosk.submit({ kind: 'face', readerId, monoMs: services.clock.monoMs(), image }, door, direction);
    if (decision === null) continue;
    const capture = decision.event?.data?.capture;
    return {
      result: decision.outcome === 'grant' ? 'granted' : 'denied',
      decided: true,
      outcome: decision.outcome,
      reason: decision.reason,
      capture: typeof capture === 'string' ? capture : null,
      door,
      direction,
      personId: decision.person?.id ?? null,
      name: decision.person?.name ?? null,
      seq: decision.event?.seq ?? null,
      framesSent,
    };
  }
  return { result: 'pending', decided: false, outcome: null, reason: null, capture: null, door, direction, personId: null, name: null, seq: null, framesSent };
}

/** Validates the body, picks the door, audits the action (without the image) and presents the face. */
export async function handleFaceRequest(
  services: KioskServices,
  body: FaceImageRequest,
  actor: string | AdminActor,
): Promise<{ status: number; payload: FaceSimulationResult | { message: string } }> {
  const door = body.door ?? services.doors.keys().next().value;
  if (door === undefined || !services.doors.has(door)) {
    return { status: 404, payload: { message: `no door named "${String(body.door)}"; doors: ${[...services.doors.keys()].join(', ')}` } };
  }
  const image = Buffer.from(body.image, 'base64');
  if (image.length === 0 || image.length > MAX_FACE_IMAGE_BYTES) return { status: 413, payload: { message: `image must be 1..${MAX_FACE_IMAGE_BYTES} bytes` } };
  const frames = body.frames ?? defaultFaceFrames(services);
  await audit(services, actor, 'simulate.face', { direction: body.direction, frames, bytes: image.length }, door);
  return { status: 200, payload: await presentFace(services, image, door, body.direction, frames) };
}

const AdminFaceBody = FaceImageBody.extend({ actor: z.string().min(1).max(64) });

export function registerSimulateFaceRoute(admin: FastifyInstance, services: KioskServices): void {
  admin.post('/v1/simulate/face', { bodyLimit: FACE_BODY_LIMIT_BYTES }, async (request, reply) => {
    const parsed = AdminFaceBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ message: z.prettifyError(parsed.error) });
    const { status, payload } = await handleFaceRequest(services, parsed.data, adminActor(request, parsed.data.actor));
    return reply.code(status).send(payload);
  });
}
