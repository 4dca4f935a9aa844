// The canteen operator's page, served by the till kiosk for its touch screen: who presented (the
// name as consent allows, the class), the entitlement, allergy blocks, balance and the day's limit
// left, the proposed meal, confirm and cancel. A presentation comes from the kiosk's readers (the
// page polls for the current proposal) or from a card typed into the page's field by a keyboard-
// wedge reader. "Served" is answered only after the meal's event is committed. Routes live in one
// scope with a strict CSP, admission by client address, and every POST must come from the page
// itself (Origin), like the library desk's.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { OriginPolicy } from '../security/origin.js';
import type { CanteenTill } from './till.js';
import type { TillConfirmation, TillPresentation } from './till-types.js';

const here = dirname(fileURLToPath(import.meta.url));
// Beside the module from source; at the app root in a release (dist/ holds no assets).
const PUBLIC_DIR = existsSync(join(here, 'public')) ? join(here, 'public') : join(here, '..', '..', '..', 'device', 'canteen', 'public');
const ASSETS: Record<string, string> = { 'till.js': 'text/javascript; charset=utf-8', 'till.css': 'text/css; charset=utf-8' };
const CSP = {
  defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"],
  objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"],
};

export interface TillPageOptions {
  till: CanteenTill;
  /** The diner a card (or QR) value belongs to, from the kiosk's roster. */
  identify(card: string): TillPresentation;
  /** Who may use the page, by client address. */
  admit(address: string): boolean;
  origins: OriginPolicy;
  /** After a meal was committed (the receipt printer listens; it must not delay the answer). */
  onServed?(confirmation: Extract<TillConfirmation, { status: 'served' }>): void;
}

const presentBody = z.object({ card: z.string().trim().min(1).max(256) });
const proposalBody = z.object({ proposalId: z.uuid() });
const chooseBody = proposalBody.extend({
  order: z.array(z.object({ itemId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(20) })).min(1).max(20),
});

async function asset(reply: FastifyReply, file: string, type: string): Promise<FastifyReply> {
  return reply.type(type).header('cache-control', 'no-store').send(await readFile(join(PUBLIC_DIR, file)));
}

function admission(options: TillPageOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!options.admit(request.ip)) {
      await reply.code(403).send({ error: 'forbidden' });
      return;
    }
    if (request.method !== 'GET' && !options.origins.allows(request.headers.origin, request.headers.host)) {
      await reply.code(403).send({ error: 'cross_origin' });
    }
  };
}

async function confirm(options: TillPageOptions, proposalId: string, reply: FastifyReply): Promise<unknown> {
  const result = await options.till.confirm(proposalId);
  if (result.status === 'unknown_proposal') return reply.code(409).send({ status: result.status });
  if (result.status === 'served') options.onServed?.(result);
  return { status: result.status, view: result.view, seq: result.status === 'served' ? result.event.seq : null };
}

export async function registerTillPage(app: FastifyInstance, options: TillPageOptions): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP }, strictTransportSecurity: false });
    scope.addHook('onRequest', admission(options));
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof z.ZodError) return reply.code(400).send({ error: 'invalid_payload', message: error.issues[0]?.message ?? 'invalid' });
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status >= 400 && status < 500 ? status : 500).send({ error: status < 500 ? 'invalid_payload' : 'internal' });
    });
    scope.get('/canteen', (_request, reply) => asset(reply, 'till.html', 'text/html; charset=utf-8'));
    scope.get('/canteen/:asset', (request, reply) => {
      const file = (request.params as { asset: string }).asset;
      const type = ASSETS[file];
      return type === undefined ? reply.code(404).send({ error: 'not_found' }) : asset(reply, file, type);
    });
    scope.get('/canteen/api/current', () => ({ view: options.till.current() }));
    scope.post('/canteen/api/present', { bodyLimit: 4096 }, (request) => ({ view: options.till.present(options.identify(presentBody.parse(request.body).card)) }));
    scope.post('/canteen/api/choose', { bodyLimit: 4096 }, (request, reply) => {
      const body = chooseBody.parse(request.body);
      const view = options.till.choose(body.proposalId, body.order);
      return view === null ? reply.code(409).send({ status: 'unknown_proposal' }) : { view };
    });
    scope.post('/canteen/api/confirm', { bodyLimit: 1024 }, (request, reply) => confirm(options, proposalBody.parse(request.body).proposalId, reply));
    scope.post('/canteen/api/cancel', { bodyLimit: 1024 }, (request) => ({ cancelled: options.till.cancel(proposalBody.parse(request.body).proposalId) }));
  });
}
