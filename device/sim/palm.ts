// The simulator page's palm reader. Its vectors are SYNTHETIC (biometric/palm/synthetic.ts): each
// person's "palm" is a pseudo-random direction seeded by their id, and a presentation adds fresh
// noise, as a real reader's repeat captures scatter. Enrolling stores that synthetic template through
// the same consent-checked, audited enrolment as a face; presenting goes through the kiosk's hot path
// at the chosen door like a palm reader's frame.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { syntheticPalmPresentation, syntheticPalmTemplate, syntheticRandom } from '../../biometric/index.js';
import { EnrolmentRefused, encodeVector, enrolTemplates } from '../admin/index.js';
import { audit, kioskEnrolTarget } from '../admin/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { palmFormat, type PalmFormat } from '../biometric/index.js';
import type { KioskServices } from '../services.js';
import { decisionView } from './decision-view.js';
import type { SimRouteConfig } from './access.js';
import { DirectionSchema } from '../vocabulary.js';

/** How far a synthetic presentation scatters from its template (cosine ~0.97). */
const PRESENTATION_NOISE = 0.25;

const PalmPresentBody = z.object({
  /** Whose synthetic palm: a person id of the roster, or any other word for a stranger's hand. */
  hand: z.string().trim().min(1).max(128),
  door: z.string().min(1),
  direction: DirectionSchema.default('in'),
  /** The reader's own quality figure for this scan (0..1). */
  quality: z.number().min(0).max(1).default(0.9),
});
const PalmEnrolBody = z.object({ personId: z.string().trim().min(1).max(128) });

/** Admission (loopback or a session, same-origin) happens in onRequest, before the body is read (access.ts). */
const PALM_ROUTE: { config: SimRouteConfig } = { config: { simAccess: 'api' } };
const BIOMETRICS_OFF = { message: 'biometrics are off in this kiosk config (no "biometric" section)' };

/** The checks both palm routes start with: a valid body, biometrics on. Sends the refusal itself. */
function admitPalmRequest<T>(services: KioskServices, request: FastifyRequest, reply: FastifyReply, schema: z.ZodType<T>): { body: T; format: PalmFormat } | null {
  const body = schema.safeParse(request.body);
  if (!body.success) {
    void reply.code(400).send({ message: z.prettifyError(body.error) });
    return null;
  }
  const format = palmFormat(services.config);
  if (format === null) {
    void reply.code(409).send(BIOMETRICS_OFF);
    return null;
  }
  return { body: body.data, format };
}

export function registerSimulatorPalmRoutes(scope: FastifyInstance, services: KioskServices): void {
  scope.post('/sim/palm', PALM_ROUTE, async (request, reply) => {
    const admitted = admitPalmRequest(services, request, reply, PalmPresentBody);
    if (admitted === null) return reply;
    const { body: { hand, door, direction, quality }, format } = admitted;
    if (!services.doors.has(door)) return reply.code(400).send({ message: `no door "${door}"` });
    const random = syntheticRandom(randomBytes(8).toString('hex'));
    const vector = syntheticPalmPresentation(syntheticPalmTemplate(hand, format.dimensions), PRESENTATION_NOISE, random);
    const reader = [...services.readers.values()].find((r) => r.door === door && r.direction === direction);
    await audit(services, 'sim-page', 'simulate.palm', { direction, quality }, door);
    const decision = await services.kiosk.submit({ kind: 'palm', readerId: reader?.id ?? `sim-palm:${door}:${direction}`, monoMs: services.clock.monoMs(), vector, quality }, door, direction);
    return reply.header('cache-control', 'no-store').send(decision === null ? { decided: false } : decisionView(decision));
  });

  scope.post('/sim/palm/enrol', PALM_ROUTE, async (request, reply) => {
    const admitted = admitPalmRequest(services, request, reply, PalmEnrolBody);
    if (admitted === null) return reply;
    const { body: { personId }, format } = admitted;
    const template = { id: `palm-sim-${personId}`, modality: 'palm' as const, algo: format.algo, vector: encodeVector(syntheticPalmTemplate(personId, format.dimensions)) };
    try {
      const result = await enrolTemplates(kioskEnrolTarget(services), { actor: 'sim-page', personId, source: 'simulator', templates: [template] });
      return { ...result, templateId: template.id, synthetic: true };
    } catch (error: unknown) {
      if (error instanceof EnrolmentRefused) return reply.code(error.statusCode).send({ message: error.message });
      throw error;
    }
  });
}
