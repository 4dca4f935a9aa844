// A payment provider's top-ups: POST /v1/canteen/topups/webhook, signed per the Standard Webhooks
// specification (webhook-id, webhook-timestamp, webhook-signature: v1,base64 HMAC-SHA256 of
// "id.timestamp.body"). The body is read raw (at most 8 KiB) and its signature checked before any of
// it is parsed, so an unsigned sender cannot make the hub build anything from its JSON; a bad or
// missing signature is 401 and nothing is applied. The timestamp is checked against the hub's clock
// (not the library's Date.now(), so a test's clock and the hub's agree). The provider's payment id is
// the transfer id: a replay of a delivered payment is a duplicate, applied once.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { HubError } from '../errors.js';
import type { CanteenTopUps } from './topups.js';

export interface TopUpWebhookOptions {
  topUps: CanteenTopUps;
  /** The provider's signing secret (`whsec_` + base64), from a file named in the hub's environment. */
  secret: string;
  now: () => number;
  /** How far the signed timestamp may be from the hub's clock (default 5 minutes, the spec's). */
  toleranceMs?: number;
}

/** A payment notice is a few hundred bytes. */
export const WEBHOOK_BODY_LIMIT = 8 * 1024;
const DEFAULT_TOLERANCE_MS = 5 * 60_000;

const paymentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,100}$/);
const payload = z.object({
  type: z.literal('payment.succeeded'),
  data: z.object({
    paymentId,
    personId: z.string().min(1).max(128),
    amountTiyn: z.number().refine((n) => Number.isSafeInteger(n) && n > 0, 'must be a positive safe integer of tiyn'),
  }),
});

/** The transfer id of a provider's payment: fixed by the provider, so every delivery of it is the same transfer. */
export const providerTransferId = (id: string): string => `provider:${id}`;

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

/** Throws 401 unless one of the header's v1 signatures is ours for this id, timestamp and body. */
export function verifySignature(signer: Webhook, request: FastifyRequest, body: Buffer, nowMs: number, toleranceMs: number): string {
  const id = header(request, 'webhook-id');
  const timestamp = header(request, 'webhook-timestamp');
  const signatures = header(request, 'webhook-signature');
  if (id === '' || !/^\d{1,12}$/.test(timestamp) || signatures === '') throw new HubError(401, 'bad_signature', 'webhook-id, webhook-timestamp and webhook-signature are required');
  const signedMs = Number(timestamp) * 1000;
  if (Math.abs(nowMs - signedMs) > toleranceMs) throw new HubError(401, 'stale_timestamp', 'the webhook timestamp is outside the tolerance');
  const expected = Buffer.from(signer.sign(id, new Date(signedMs), body));
  const match = signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!match) throw new HubError(401, 'bad_signature', 'the webhook signature does not match');
  return id;
}

export async function registerTopUpWebhook(app: FastifyInstance, options: TopUpWebhookOptions): Promise<void> {
  const signer = new Webhook(options.secret);
  const tolerance = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  await app.register((scope, _opts, done) => {
    // Raw bytes of any content type in this scope only: the signature covers the bytes as sent.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, parsed) => parsed(null, body));
    scope.post('/v1/canteen/topups/webhook', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const webhookId = verifySignature(signer, request, body, options.now(), tolerance);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new HubError(400, 'invalid_json', 'the body is not JSON');
      }
      // A provider sends other kinds of events too (refunds, payouts): acknowledged so it does not
      // retry them, and nothing is applied; only a succeeded payment moves money.
      const kind = z.object({ type: z.string().max(100) }).safeParse(json);
      if (kind.success && kind.data.type !== 'payment.succeeded') return reply.code(202).send({ status: 'ignored', type: kind.data.type });
      const { data } = payload.parse(json);
      // No webhook id in the transfer: a provider may deliver one payment in two messages, and the
      // second must be the same transfer (a duplicate), not a conflicting one.
      const result = await options.topUps.topUp({
        transferId: providerTransferId(data.paymentId), personId: data.personId, amountTiyn: data.amountTiyn, source: 'provider', reference: data.paymentId, note: null,
      });
      request.log.info({ paymentId: data.paymentId, webhookId, status: result.status }, 'provider top-up');
      return reply.code(result.status === 'applied' ? 201 : 200).send({ status: result.status, transferId: result.transfer.id, balanceAfterTiyn: result.transfer.creditBalanceAfterTiyn });
    });
    done();
  });
}
