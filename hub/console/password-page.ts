// Changing one's own password: every role may. A success ends every session of the account, this
// one included, so a password someone else knew (the director who made the account) opens nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { accountOf, audit, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';

const passwordForm = z.object({ current: z.string().max(1024), next: z.string().max(1024) });

function passwordPage(request: FastifyRequest, reply: FastifyReply, error: string | null, status = 200): FastifyReply {
  const t = textsOf(request);
  const body =
    (error ? `<p class="error" role="alert" id="password-error">${esc(error)}</p>` : '') +
    `<form method="post" action="/console/password" class="card"><input type="hidden" name="_csrf" value="${esc(reply.generateCsrf())}">` +
    `<label>${esc(t.currentPassword)}<input name="current" type="password" autocomplete="current-password" required></label>` +
    `<label>${esc(t.newPassword)}<input name="next" type="password" autocomplete="new-password" required minlength="10"></label>` +
    `<button type="submit">${esc(t.changePassword)}</button></form>`;
  return sendPage(request, reply, t.changePassword, raw(body), status);
}

async function changePassword(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const t = textsOf(request);
  const form = passwordForm.safeParse(request.body);
  if (!form.success) return passwordPage(request, reply, `${t.passwordProblem} invalid_form`, 400);
  const account = accountOf(request);
  const result = await ctx.accounts.changePassword(account, form.data.current, form.data.next);
  if (!result.ok) {
    await audit(ctx, request, 'password.change.refused', `account:${account.id}`, { problem: result.problem });
    const status = result.problem === 'locked' ? 423 : result.problem === 'wrong' ? 401 : result.problem === 'busy' ? 503 : 400;
    return passwordPage(request, reply, `${t.passwordProblem} ${result.problem}`, status);
  }
  await audit(ctx, request, 'password.change', `account:${account.id}`);
  await request.session.destroy();
  return reply.redirect('/console/login');
}

export function registerPasswordPage(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/password', (request, reply) => passwordPage(request, reply, null));
  scope.post('/password', (request, reply) => changePassword(ctx, request, reply));
}
