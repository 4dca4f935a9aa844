// The parents' page, served by the hub under /parent/<token> in its own fastify scope: security
// headers (@fastify/helmet, no script at all), a per-address rate limit (@fastify/rate-limit), small
// form bodies (@fastify/formbody). The link's token is the guardian's capability; a POST must also
// come from the page itself (its Origin) and carry the link's form token (CSRF), checked before
// anything changes. Expired, unknown or unlinked links get a refusal page and no data.
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { wireId } from '../../protocol/index.js';
import type { LibraryStore } from '../library/index.js';
import type { PrivacyService } from '../privacy/index.js';
import type { HubStorage } from '../storage.js';
import type { GuardianRecord, NotifyStore } from './model.js';
import { sameToken, type OpenedLink, type ParentPageLinks } from './page-links.js';
import { ParentPageData, type MealReader } from './parent-data.js';
import { PARENT_CSS, parentPage, refusalPage, type Flash } from './parent-view.js';
import { languageOf, pageWords, PURPOSES, type Purpose } from './parent-words.js';
import { quietHoursSchema } from './quiet.js';

export interface ParentPageOptions {
  links: ParentPageLinks;
  store: NotifyStore;
  storage: HubStorage;
  /** Null only for a storage the privacy module does not know (a test double): no data requests then. */
  privacy: PrivacyService | null;
  /** The school library when the hub serves one (the page lists a child's open loans); null otherwise. */
  library: LibraryStore | null;
  /** The canteen's served meals when the hub runs the canteen (the page lists today's); null otherwise. */
  meals: MealReader | null;
  timeZone: string;
  now: () => number;
  limits?: Partial<ParentPageLimits>;
}

export interface ParentPageLimits {
  /** Requests of any kind per address per minute. */
  perMinute: number;
  /** Form posts per address per minute. */
  postsPerMinute: number;
}

export const DEFAULT_PARENT_PAGE_LIMITS: ParentPageLimits = { perMinute: 60, postsPerMinute: 10 };

const FORM_BODY_LIMIT = 4 * 1024;
const tokenParams = z.object({ token: z.string().max(64) });
const childForm = z.object({ form: z.string().max(64), child: wireId });
const withdrawForm = childForm.extend({ purpose: z.enum(PURPOSES as [Purpose, ...Purpose[]]) });
const quietForm = z.union([
  z.object({ form: z.string().max(64), off: z.literal('1') }),
  z.object({ form: z.string().max(64), start: z.string(), end: z.string() }),
]);
const doneQuery = z.object({
  done: z.enum(['withdrawn', 'requested', 'quiet']).optional(),
  deadline: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
});

class PageRefusal extends Error {
  constructor(readonly status: number, readonly reason: 'expired' | 'invalid' | 'refused') {
    super(reason);
  }
}

/** Chromium sends Origin on every form POST; anything but this page's own origin is refused. */
function checkOrigin(request: FastifyRequest): void {
  const expected = `${request.protocol}://${request.headers.host ?? ''}`;
  if (request.headers['sec-fetch-site'] === 'cross-site' || request.headers.origin !== expected) throw new PageRefusal(403, 'refused');
}

function flashOf(query: unknown): Flash | null {
  const parsed = doneQuery.safeParse(query);
  if (!parsed.success || !parsed.data.done) return null;
  if (parsed.data.done === 'requested') return parsed.data.deadline ? { kind: 'requested', deadline: parsed.data.deadline } : null;
  return { kind: parsed.data.done };
}

async function registerPlugins(scope: FastifyInstance, limits: ParentPageLimits): Promise<void> {
  await scope.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"], scriptSrc: ["'none'"] } },
    // Not no-referrer: Chromium would then send `Origin: null` on the page's own form posts. Same-origin
    // keeps the link's token out of any request to another site.
    referrerPolicy: { policy: 'same-origin' },
  });
  await scope.register(formbody, { bodyLimit: FORM_BODY_LIMIT });
  await scope.register(rateLimit, { global: true, max: limits.perMinute, timeWindow: 60_000 });
}

export async function registerParentPage(app: FastifyInstance, options: ParentPageOptions): Promise<void> {
  const limits = { ...DEFAULT_PARENT_PAGE_LIMITS, ...options.limits };
  await app.register(async (scope) => {
    await registerPlugins(scope, limits);
    scope.setErrorHandler((error: FastifyError | PageRefusal, request, reply) => refuse(error, request, reply));
    scope.addHook('onSend', (_request, reply, payload, done) => {
      void reply.header('cache-control', 'no-store');
      done(null, payload);
    });
    scope.get('/static/parent.css', (_request, reply) => reply.type('text/css; charset=utf-8').send(PARENT_CSS));
    registerRoutes(scope, options, limits);
  }, { prefix: '/parent' });
}

function refuse(error: FastifyError | PageRefusal, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const language = languageOf(request.headers['accept-language']);
  const words = pageWords(language);
  const status = error instanceof PageRefusal ? error.status : (error.statusCode ?? 500);
  if (status >= 500) request.log.error({ err: error }, 'parents page failed');
  const message = error instanceof PageRefusal ? words[error.reason] : status === 429 ? words.tooMany : words.refused;
  return reply.code(status).type('text/html; charset=utf-8').send(refusalPage(language, message));
}

function registerRoutes(scope: FastifyInstance, options: ParentPageOptions, limits: ParentPageLimits): void {
  const data = new ParentPageData(options);
  const post = { config: { rateLimit: { max: limits.postsPerMinute, timeWindow: 60_000 } }, onRequest: (request: FastifyRequest) => Promise.resolve(checkOrigin(request)) };

  /** The link behind the URL, refused when it is unknown or expired; for a POST, its form token too. */
  const opened = async (request: FastifyRequest, form?: string): Promise<Extract<OpenedLink, { ok: true }>> => {
    const params = tokenParams.safeParse(request.params);
    const link = params.success ? await options.links.open(params.data.token) : ({ ok: false, reason: 'invalid' } as const);
    if (!link.ok) throw new PageRefusal(link.reason === 'expired' ? 410 : 404, link.reason);
    if (form !== undefined && !sameToken(form, link.link.formToken)) throw new PageRefusal(403, 'refused');
    return link;
  };
  const guardianOf = (link: { guardians: GuardianRecord[] }, child: string): GuardianRecord => {
    const guardian = link.guardians.find((g) => g.personId === child);
    if (!guardian) throw new PageRefusal(403, 'refused');
    return guardian;
  };
  const back = (request: FastifyRequest, reply: FastifyReply, query: string): FastifyReply =>
    reply.redirect(`/parent/${tokenParams.parse(request.params).token}?${query}`, 303);

  scope.get('/:token', async (request, reply) => {
    const link = await opened(request);
    const html = parentPage(await data.view(link, `/parent/${tokenParams.parse(request.params).token}`, flashOf(request.query)));
    return reply.type('text/html; charset=utf-8').send(html);
  });

  scope.post('/:token/withdraw', post, async (request, reply) => {
    const form = withdrawForm.safeParse(request.body);
    if (!form.success) throw new PageRefusal(400, 'refused');
    const link = await opened(request, form.data.form);
    const guardian = guardianOf(link, form.data.child);
    await data.withdraw(guardian, form.data.purpose);
    request.log.info({ guardianId: guardian.id, personId: guardian.personId, purpose: form.data.purpose }, 'consent withdrawn on the parents page');
    return back(request, reply, 'done=withdrawn');
  });

  scope.post('/:token/data-request', post, async (request, reply) => {
    const form = childForm.safeParse(request.body);
    if (!form.success) throw new PageRefusal(400, 'refused');
    const link = await opened(request, form.data.form);
    const guardian = guardianOf(link, form.data.child);
    if (!options.privacy) throw new PageRefusal(503, 'refused');
    const registered = await data.requestData(options.privacy, guardian);
    request.log.info({ guardianId: guardian.id, personId: guardian.personId, requestId: registered.id }, 'data request registered from the parents page');
    return back(request, reply, `done=requested&deadline=${registered.deadline}`);
  });

  scope.post('/:token/quiet', post, async (request, reply) => {
    const form = quietForm.safeParse(request.body);
    if (!form.success) throw new PageRefusal(400, 'refused');
    const link = await opened(request, form.data.form);
    const quiet = 'off' in form.data ? null : quietHoursSchema.safeParse({ start: form.data.start, end: form.data.end });
    if (quiet && !quiet.success) throw new PageRefusal(400, 'refused');
    for (const guardian of link.guardians) await options.store.setQuietHours(guardian.id, quiet?.data ?? null);
    return back(request, reply, 'done=quiet');
  });
}
