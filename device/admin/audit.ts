// Who did what on the kiosk: every technician action becomes an `audit` event (synced upstream like
// any other) naming the user the caller claims and what the kernel says about the calling process.
// Its own module so the simulator, the security routes and the wiring can record audits without
// importing the admin routes (which import them back).
import type { FastifyRequest } from 'fastify';
import type { KioskServices } from '../services.js';
import { auditEvent } from '../system-events.js';
import type { PeerCredentials } from './peer-credentials.js';

/** Who did it: the user the caller names, and what the kernel says about the caller. */
export interface AdminActor {
  claimed: string;
  peer: PeerCredentials | null;
}

/** The actor of an admin-socket request: its claimed name beside its verified uid. */
export const adminActor = (request: FastifyRequest, claimed: string): AdminActor => ({ claimed, peer: request.adminPeer });

/** The audit fields for an actor: a plain name (the simulator page, an internal job) or an AdminActor. */
export function actorFields(who: string | AdminActor): Record<string, unknown> {
  if (typeof who === 'string') return { actor: who };
  const peer = who.peer === null ? 'unknown' : { uid: who.peer.uid, user: who.peer.user, pid: who.peer.pid };
  return { actor: who.claimed, peer };
}

export function audit(services: KioskServices, who: string | AdminActor, action: string, details: Record<string, unknown>, door: string | null = null): Promise<unknown> {
  const actor = actorFields(who);
  services.logger.child({ ns: 'audit' }).info({ ...actor, action, ...details }, 'technician action');
  return services.kiosk.record(auditEvent(action, { ...actor, action, ...details }, { door }));
}
