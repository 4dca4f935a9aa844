// Enrolment of biometric templates (from `esik enroll` and the simulator page). Only descriptors
// arrive here, never images. Refused without biometric consent or for a blocked/inactive person;
// every enrolment is a `template.enrolled` event naming the actor, which syncs upstream.
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { EventDraft, Person, RosterChange, RosterApplyResult } from '../../sync/store/index.js';
import { ModalitySchema } from '../vocabulary.js';
import { auditEvent, templateEnrolled } from '../system-events.js';

const MAX_TEMPLATES = 20;

export const EnrolBody = z.object({
  actor: z.string().min(1).max(64),
  personId: z.string().trim().min(1).max(128),
  source: z.enum(['cli', 'simulator']).default('cli'),
  templates: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        modality: ModalitySchema,
        algo: z.string().min(1).max(128),
        /** Little-endian float32 vector, base64. */
        vector: z.string().min(1).max(16_384),
      }),
    )
    .min(1)
    .max(MAX_TEMPLATES),
});
export type EnrolRequest = z.infer<typeof EnrolBody>;

export class EnrolmentRefused extends Error {
  constructor(
    readonly statusCode: 403 | 404 | 400,
    message: string,
    /** A stable code for screens: 'no_consent', or the person's status. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'EnrolmentRefused';
  }
}

/** Why this person may not be enrolled, or null. Checked before any image is even decoded. */
export function enrolmentRefusal(personId: string, person: Person | undefined): EnrolmentRefused | null {
  if (person === undefined) return new EnrolmentRefused(404, `no person "${personId}" in the roster`);
  if (!person.biometricConsent) return new EnrolmentRefused(403, `person "${personId}" has no biometric consent on record`, 'no_consent');
  if (person.status !== 'active') return new EnrolmentRefused(403, `person "${personId}" is ${person.status}`, person.status);
  return null;
}

export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function decodeVector(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length % 4 !== 0) throw new EnrolmentRefused(400, 'template vector is not a float32 array');
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i += 1) vector[i] = bytes.readFloatLE(i * 4);
  if (!vector.every(Number.isFinite)) throw new EnrolmentRefused(400, 'template vector has non-finite values');
  return vector;
}

/** What enrolment needs from wherever it runs (the daemon, or the CLI on the store when the daemon is down). */
export interface EnrolTarget {
  person(id: string): Person | undefined | Promise<Person | undefined>;
  apply(changes: RosterChange[]): Promise<RosterApplyResult>;
  record(event: EventDraft): Promise<unknown>;
}

/** `verified`: what the kiosk itself knows of the caller (the admin socket's peer), recorded beside the claimed actor. */
export async function enrolTemplates(target: EnrolTarget, request: EnrolRequest, verified: Record<string, unknown> = {}): Promise<{ personId: string; enrolled: number }> {
  const person = await target.person(request.personId);
  const refused = enrolmentRefusal(request.personId, person);
  if (refused !== null || person === undefined) throw refused ?? new EnrolmentRefused(404, `no person "${request.personId}" in the roster`);
  const changes: RosterChange[] = request.templates.map((t) => ({
    op: 'upsert',
    type: 'template',
    data: { id: t.id, personId: person.id, modality: t.modality, algo: t.algo, vector: decodeVector(t.vector) },
  }));
  await target.apply(changes);
  await target.record(
    templateEnrolled(person.id, request.source, {
      actor: request.actor, ...verified, templateIds: request.templates.map((t) => t.id), algo: request.templates[0]?.algo, count: request.templates.length,
    }),
  );
  // Enrolment is a technician action like any other: the audit trail lists it with the rest.
  await target.record(
    auditEvent('template.enrol', { actor: request.actor, ...verified, action: 'template.enrol', source: request.source, count: request.templates.length }, { personId: person.id }),
  );
  return { personId: person.id, enrolled: changes.length };
}

/** POST /v1/enroll on the admin socket. */
export function registerEnrolRoute(admin: FastifyInstance, target: EnrolTarget): void {
  admin.post('/v1/enroll', async (request, reply) => {
    const parsed = EnrolBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ message: z.prettifyError(parsed.error) });
    try {
      const peer = request.adminPeer;
      return await enrolTemplates(target, parsed.data, { peer: peer === null ? 'unknown' : { uid: peer.uid, user: peer.user, pid: peer.pid } });
    } catch (error: unknown) {
      if (error instanceof EnrolmentRefused) return reply.code(error.statusCode).send({ message: error.message });
      throw error;
    }
  });
}
