// Sign-in, sign-out and the language switch. A failed login counts against its address before the
// password is verified (429 once over the limit) and against its account in the database (locked
// after 5); a success regenerates the session id (no fixation) and gives the address its attempt back.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FailureLimiter } from '../failure-limiter.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';
import { LANG_COOKIE, audit, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { isLanguage } from './messages.js';

const loginForm = z.object({ username: z.string().max(64), password: z.string().max(MAX_PASSWORD_LENGTH * 4) });

function loginPage(request: FastifyRequest, reply: FastifyReply, error: string | null, status = 200): FastifyReply {
  const t = textsOf(request);
  const body =
    (error ? `<p class="error" role="alert" id="login-error">${esc(error)}</p>` : '') +
    `<form method="post" action="/console/login" class="card">` +
    `<label>${esc(t.username)}<input name="username" autocomplete="username" required maxlength="64" autofocus></label>` +
    `<label>${esc(t.password)}<input name="password" type="password" autocomplete="current-password" required></label>` +
    `<button type="submit">${esc(t.login)}</button></form>`;
  return sendPage(request, reply, t.login, raw(body), status);
}

function retryAfter(reply: FastifyReply, ms: number): FastifyReply {
  return reply.header('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
}

async function login(ctx: ConsoleContext, failures: FailureLimiter, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const t = textsOf(request);
  const parsed = loginForm.safeParse(request.body);
  if (!parsed.success) return loginPage(request, reply, t.wrongPassword, 400);
  const address = request.ip;
  const wait = failures.retryAfterMs(address);
  if (wait !== null) return loginPage(request, retryAfter(reply, wait), t.tooMany, 429);
  failures.count(address);
  const result = await ctx.accounts.login(parsed.data.username, parsed.data.password);
  const username = parsed.data.username.slice(0, 64);
  if (result.ok) {
    failures.refund(address);
    await request.session.regenerate();
    request.session.accountId = result.account.id;
    await audit(ctx, request, 'login', `account:${result.account.id}`, {}, result.account);
    return reply.redirect('/console/');
  }
  if (result.reason === 'busy') {
    failures.refund(address);
    return loginPage(request, retryAfter(reply, 1000), t.busy, 503);
  }
  const subject = result.account ? `account:${result.account.id}` : null;
  await audit(ctx, request, result.reason === 'locked' ? 'login.locked' : 'login.failed', subject, { username }, result.account);
  return result.reason === 'locked' ? loginPage(request, reply, t.locked, 423) : loginPage(request, reply, t.wrongPassword, 401);
}

/** Only a console path may be the target of the language switch's redirect (no open redirect). */
function safeBack(back: unknown): string {
  return typeof back === 'string' && /^\/console(\/[A-Za-z0-9%._~-]*)*$/.test(back) ? back : '/console/';
}

export function registerLoginRoutes(scope: FastifyInstance, ctx: ConsoleContext, failures: FailureLimiter, loginsPerMinute: number): void {
  scope.get('/login', (request, reply) => loginPage(request, reply, null));
  scope.post('/login', { config: { rateLimit: { max: loginsPerMinute, timeWindow: 60_000 } } }, (request, reply) => login(ctx, failures, request, reply));
  scope.post('/logout', async (request, reply) => {
    await audit(ctx, request, 'logout', null);
    await request.session.destroy();
    return reply.redirect('/console/login');
  });
  scope.get('/lang', (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (isLanguage(query.to)) void reply.setCookie(LANG_COOKIE, query.to, { path: '/console', sameSite: 'strict', httpOnly: true, maxAge: 365 * 86_400 });
    return reply.redirect(safeBack(query.back));
  });
}
