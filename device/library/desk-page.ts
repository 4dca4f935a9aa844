// The librarian's page, served by the desk kiosk: loan, return and renew by a borrower's card and a
// copy's barcode (both scanners are keyboard wedges, so they type into the focused field), a
// borrower's current loans, and the overdue list. Its routes live in one scope with a strict CSP;
// admission is by client address (loopback unless told otherwise: the page lends and takes back
// books) and every POST must come from the page itself (Origin), like the simulator's.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseBarcode } from '../../lib/index.js';
import type { OriginPolicy } from '../security/origin.js';
import type { LibraryDesk } from './desk.js';
import { LIBRARY_ACTIONS, type Borrower, type LibraryDecision } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
// Beside the module from source; at the app root in a release (dist/ holds no assets).
const PUBLIC_DIR = existsSync(join(here, 'public')) ? join(here, 'public') : join(here, '..', '..', '..', 'device', 'library', 'public');
const ASSETS: Record<string, string> = { 'desk.js': 'text/javascript; charset=utf-8', 'desk.css': 'text/css; charset=utf-8' };
const CSP = {
  defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"],
  objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"],
};

export interface DeskPageOptions {
  desk: LibraryDesk;
  /** The person a card (or QR) value belongs to, from the kiosk's roster; null if none. */
  identify(credential: string): Borrower | null;
  /** Who may use the page, by client address. */
  admit(address: string): boolean;
  origins: OriginPolicy;
}

const scanBody = z.object({
  action: z.enum(LIBRARY_ACTIONS),
  card: z.string().trim().max(256).default(''),
  barcode: z.string().trim().min(1).max(256),
});
const loansQuery = z.object({ card: z.string().trim().min(1).max(256) });

/** What the page shows for a decision: a refusal code is the page's key into its own texts. */
export type DeskAnswer = LibraryDecision | { outcome: 'refuse'; reason: 'bad_scan' | 'scan_copy_label'; detail: string };

async function asset(reply: FastifyReply, file: string, type: string): Promise<FastifyReply> {
  return reply.type(type).header('cache-control', 'no-store').send(await readFile(join(PUBLIC_DIR, file)));
}

function admission(options: DeskPageOptions) {
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

async function scan(options: DeskPageOptions, body: z.infer<typeof scanBody>): Promise<DeskAnswer> {
  const parsed = parseBarcode(body.barcode);
  if (!parsed.ok) return { outcome: 'refuse', reason: 'bad_scan', detail: parsed.detail };
  const borrower = body.card === '' ? null : options.identify(body.card);
  const outcome = await options.desk.scan({ action: body.action, borrower, barcode: parsed.barcode.value, credential: borrower ? { kind: 'card', ref: borrower.id } : null });
  // An ISBN names a title, every copy of it alike: the desk needs the copy's own label.
  if (outcome.decision.outcome === 'refuse' && outcome.decision.reason === 'unknown_copy' && parsed.barcode.kind !== 'copy') {
    return { outcome: 'refuse', reason: 'scan_copy_label', detail: parsed.barcode.value };
  }
  return outcome.decision;
}

export async function registerDeskPage(app: FastifyInstance, options: DeskPageOptions): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP }, strictTransportSecurity: false });
    scope.addHook('onRequest', admission(options));
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof z.ZodError) return reply.code(400).send({ error: 'invalid_payload', message: error.issues[0]?.message ?? 'invalid' });
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status >= 400 && status < 500 ? status : 500).send({ error: status < 500 ? 'invalid_payload' : 'internal' });
    });
    scope.get('/library', (_request, reply) => asset(reply, 'desk.html', 'text/html; charset=utf-8'));
    scope.get('/library/:asset', (request, reply) => {
      const file = (request.params as { asset: string }).asset;
      const type = ASSETS[file];
      return type === undefined ? reply.code(404).send({ error: 'not_found' }) : asset(reply, file, type);
    });
    scope.post('/library/api/scan', { bodyLimit: 4096 }, async (request) => scan(options, scanBody.parse(request.body)));
    scope.get('/library/api/loans', (request) => {
      const borrower = options.identify(loansQuery.parse(request.query).card);
      return { borrower: borrower?.id ?? null, loans: borrower ? options.desk.loans(borrower.id) : [] };
    });
    scope.get('/library/api/overdue', () => ({ loans: options.desk.overdue() }));
  });
}
