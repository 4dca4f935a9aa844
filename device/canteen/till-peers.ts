// The tills of one canteen asking each other, over the school network, before a free meal is
// served: a claim goes to every peer at once with a short deadline; a peer that served or claimed
// that meal refuses it. A peer that does not answer in time is taken as offline: the meal is
// served, and if the peer served it too the hub flags the double serving at sync. Peers share a
// token (a file on each till); the route checks it before reading the body.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CanteenTill, FreeMealClaim, TillPeerLink } from './till.js';

export const PEER_CLAIM_PATH = '/canteen/peer/claim';

const claimBody = z.strictObject({
  personId: z.string().min(1).max(64),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  periodId: z.string().min(1).max(64),
  till: z.string().min(1).max(64),
});

export interface HttpTillPeersOptions {
  /** Each peer's base URL, e.g. http://till-2.local:8080. */
  urls: readonly string[];
  token: string;
  /** How long a peer may take before it counts as offline. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class HttpTillPeers implements TillPeerLink {
  constructor(private readonly options: HttpTillPeersOptions) {}

  async claim(claim: FreeMealClaim): Promise<boolean> {
    const answers = await Promise.all(this.options.urls.map((url) => this.#ask(url, claim)));
    return !answers.includes(false);
  }

  /** true: granted; false: refused; null: no answer (offline, error). */
  async #ask(url: string, claim: FreeMealClaim): Promise<boolean | null> {
    try {
      const response = await (this.options.fetch ?? fetch)(new URL(PEER_CLAIM_PATH, url), {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` }, body: JSON.stringify(claim),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 500),
      });
      if (!response.ok) return null;
      const answer = (await response.json()) as { granted?: unknown };
      return typeof answer.granted === 'boolean' ? answer.granted : null;
    } catch {
      return null;
    }
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The route the other tills claim free meals at. */
export async function registerPeerRoute(app: FastifyInstance, options: { till: CanteenTill; token: string }): Promise<void> {
  await app.register((scope, _opts, done) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!tokenMatches(request.headers.authorization, options.token)) await reply.code(401).send({ error: 'unauthorized' });
    });
    scope.post(PEER_CLAIM_PATH, { bodyLimit: 1024 }, (request, reply) => {
      const parsed = claimBody.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid_payload' });
      return { granted: options.till.peerClaim(parsed.data) };
    });
    done();
  });
}
