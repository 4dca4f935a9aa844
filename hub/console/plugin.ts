// The console as one encapsulated fastify scope under /console: cookies and server-side sessions
// (@fastify/cookie, @fastify/session over DatabaseSessionStore), CSRF tokens
// (@fastify/csrf-protection, secret in the session), security headers (@fastify/helmet), a
// per-address limit on the login route (@fastify/rate-limit) and on failed logins (FailureLimiter).
// Order of checks for every request: Origin (state-changing methods) and the session's account in
// onRequest, before any body is read; the CSRF token in preHandler, once the small form body is in.
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import session from '@fastify/session';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../errors.js';
import { FailureLimiter } from '../failure-limiter.js';
import { registerAdminPages } from './admin-pages.js';
import { registerChartPage } from './chart-page.js';
import { registerCanteenPages, type ConsoleCanteen } from './canteen-pages.js';
import { registerCanteenSettingsPages } from './canteen-settings-pages.js';
import { registerCanteenTopUpPage } from './canteen-topup-page.js';
import { registerConsentPages } from './consent-pages.js';
import { registerEnrolPage } from './enrol-page.js';
import { accountOf, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw, CONSOLE_CSS } from './html.js';
import { registerImportPage } from './import-page.js';
import { registerLibraryImportPage } from './library-import-page.js';
import { registerLibraryPages } from './library-pages.js';
import { registerLoginRoutes } from './login.js';
import { registerPages } from './pages.js';
import { registerPasswordPage } from './password-page.js';
import { registerPeoplePages } from './people-pages.js';
import { registerPrivacyPages } from './privacy-pages.js';
import { registerRegisterRoute } from './register-route.js';
import { DatabaseSessionStore } from './session-store.js';
import { registerStaffPages } from './staff-page.js';

export interface ConsoleLimits {
  /** Failed logins one address may make per window before it gets 429. */
  failuresPerAddress: number;
  failureWindowMs: number;
  /** Login requests (good or bad) per address per minute. */
  loginsPerMinute: number;
}

export const DEFAULT_CONSOLE_LIMITS: ConsoleLimits = { failuresPerAddress: 10, failureWindowMs: 15 * 60_000, loginsPerMinute: 30 };

export interface ConsolePluginOptions {
  ctx: ConsoleContext;
  /** Sign-out after this long without a request. */
  idleTimeoutMs: number;
  /** Secure cookies: true when the hub serves HTTPS. */
  secureCookies: boolean;
  limits: ConsoleLimits;
  /** The canteen's stores (hub/canteen): its pages are served only with them. */
  canteen?: ConsoleCanteen | null;
}

const PUBLIC_PATHS = new Set(['/console/login', '/console/static/console.css', '/console/lang']);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A console form is a few fields: anything bigger is refused before it is read whole. */
const FORM_BODY_LIMIT = 16 * 1024;

/** Cross-site requests are refused by their Origin (or Sec-Fetch-Site) before anything else. */
function checkOrigin(request: FastifyRequest): void {
  if (!STATE_CHANGING.has(request.method)) return;
  const origin = request.headers.origin;
  const expected = `${request.protocol}://${request.headers.host ?? ''}`;
  if (request.headers['sec-fetch-site'] === 'cross-site' || origin === undefined || origin !== expected) {
    throw new HubError(403, 'cross_site', 'cross-site request refused', { connection: 'close' });
  }
}

async function authenticate(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  request.consoleAccount = null;
  const path = request.url.split('?')[0] ?? '';
  checkOrigin(request);
  if (PUBLIC_PATHS.has(path)) return;
  const accountId = request.session.accountId;
  const account = accountId ? await ctx.store.accountById(accountId) : null;
  if (!account || ctx.accounts.isLocked(account)) {
    if (accountId) await request.session.destroy();
    if (request.method === 'GET') {
      await reply.redirect('/console/login');
      return;
    }
    // Refused before the body is read; closing the connection spares reading whatever was sent.
    throw new HubError(401, 'unauthorized', 'sign in first', { connection: 'close' });
  }
  request.consoleAccount = account;
}

function errorPage(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error instanceof HubError ? error.status : ((error as FastifyError).statusCode ?? 500);
  if (status >= 500) request.log.error({ err: error }, 'console request failed');
  const t = textsOf(request);
  const message = status === 403 ? t.forbidden : status === 404 ? t.notFound : status >= 500 ? 'internal error' : error.message;
  if (error instanceof HubError) void reply.headers(error.headers);
  return sendPage(request, reply, String(status), raw(`<p class="error" role="alert">${esc(message)}</p>`), status);
}

async function registerPlugins(scope: FastifyInstance, options: ConsolePluginOptions): Promise<void> {
  const ctx = options.ctx;
  await scope.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"], scriptSrc: ["'none'"] } },
    strictTransportSecurity: options.secureCookies,
    // helmet's default, no-referrer, makes Chromium send `Origin: null` on a same-origin form POST,
    // which the Origin check would refuse.
    referrerPolicy: { policy: 'same-origin' },
  });
  await scope.register(cookie);
  await scope.register(session, {
    secret: await ctx.store.sessionSecret(randomBytes(48).toString('base64url')),
    cookieName: 'esik_console',
    store: new DatabaseSessionStore(ctx.store, options.idleTimeoutMs, ctx.now),
    saveUninitialized: false,
    rolling: true,
    cookie: { path: '/console', httpOnly: true, sameSite: 'strict', secure: options.secureCookies, maxAge: options.idleTimeoutMs },
  });
  await scope.register(csrf, { sessionPlugin: '@fastify/session' });
  await scope.register(formbody, { bodyLimit: FORM_BODY_LIMIT });
  await scope.register(rateLimit, { global: false });
}

export async function consolePlugin(scope: FastifyInstance, options: ConsolePluginOptions): Promise<void> {
  const ctx = options.ctx;
  await registerPlugins(scope, options);
  scope.decorateRequest('consoleAccount', null);
  scope.setErrorHandler(errorPage);
  scope.addHook('onRequest', (request, reply) => authenticate(ctx, request, reply));
  scope.addHook('preHandler', (request, reply, done) => {
    // Login has no session yet to hold a token: its cross-site guard is the Origin check above.
    if (!STATE_CHANGING.has(request.method) || request.url === '/console/login') return done();
    scope.csrfProtection(request, reply, done);
  });
  const failures = new FailureLimiter(options.limits.failuresPerAddress, options.limits.failureWindowMs, ctx.now);
  scope.get('/static/console.css', (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(CONSOLE_CSS));
  registerLoginRoutes(scope, ctx, failures, options.limits.loginsPerMinute);
  registerPages(scope, ctx);
  registerAdminPages(scope, ctx);
  registerPasswordPage(scope, ctx);
  registerPeoplePages(scope, ctx);
  registerRegisterRoute(scope, ctx);
  registerChartPage(scope, ctx);
  registerStaffPages(scope, ctx);
  registerLibraryPages(scope, ctx);
  await registerLibraryImportPage(scope, ctx);
  registerConsentPages(scope, ctx);
  registerPrivacyPages(scope, ctx);
  await registerImportPage(scope, ctx);
  await registerEnrolPage(scope, ctx);
  if (options.canteen) {
    registerCanteenPages(scope, ctx, options.canteen);
    registerCanteenTopUpPage(scope, ctx, options.canteen);
    await registerCanteenSettingsPages(scope, ctx, options.canteen);
  }
  scope.get('/', (request, reply) => reply.redirect(homeOf(request)));
}

function homeOf(request: FastifyRequest): string {
  const account = accountOf(request);
  if (account.role === 'class_teacher' && account.className) return `/console/classes/${encodeURIComponent(account.className)}`;
  if (account.role === 'technician') return '/console/devices';
  if (account.role === 'canteen') return '/console/canteen';
  if (account.role === 'director' || account.role === 'district') return '/console/attendance';
  return '/console/home';
}
