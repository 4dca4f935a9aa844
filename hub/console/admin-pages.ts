// The director's pages: accounts (create, unlock) and the audit export of one account's actions.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { MAX_EXPORT_ROWS, auditCsv, auditJson, parsePeriod } from './audit-export.js';
import { audit, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { requireCapability } from './pages.js';
import { ROLES } from './roles.js';
import type { AuditRecord } from './store.js';

const createForm = z.object({
  username: z.string().max(64),
  displayName: z.string().max(128),
  role: z.enum(ROLES),
  className: z.string().max(64).optional(),
  password: z.string().max(1024),
});

const exportQuery = z.object({ account: z.string().max(64), from: z.string().max(40), to: z.string().max(40), format: z.enum(['html', 'csv', 'json']).default('html') });

async function accountsPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, notice: string | null = null, status = 200): Promise<FastifyReply> {
  const t = textsOf(request);
  const accounts = await ctx.store.listAccounts();
  const csrfToken = reply.generateCsrf();
  const rows = accounts
    .map((a) => {
      const locked = ctx.accounts.isLocked(a);
      const unlock = locked ? `<form method="post" action="/console/accounts/${esc(a.id)}/unlock"><input type="hidden" name="_csrf" value="${esc(csrfToken)}"><button type="submit">${esc(t.unlock)}</button></form>` : '';
      return `<tr data-username="${esc(a.username)}"><td>${esc(a.username)}</td><td>${esc(a.displayName)}</td><td>${esc(a.role)}${a.className ? ` ${esc(a.className)}` : ''}</td><td>${locked ? esc(t.locked_state) : ''}${unlock}</td></tr>`;
    })
    .join('');
  const roleOptions = ROLES.map((r) => `<option value="${r}">${r}</option>`).join('');
  const body =
    (notice ? `<p class="${status === 200 ? 'notice' : 'error'}" role="status">${esc(notice)}</p>` : '') +
    `<table id="accounts"><thead><tr><th scope="col">${esc(t.username)}</th><th scope="col">${esc(t.displayName)}</th><th scope="col">${esc(t.role)}</th><th scope="col"></th></tr></thead><tbody>${rows}</tbody></table>` +
    `<h3>${esc(t.create)}</h3><form method="post" action="/console/accounts" class="card"><input type="hidden" name="_csrf" value="${esc(csrfToken)}">` +
    `<label>${esc(t.username)}<input name="username" required maxlength="32"></label><label>${esc(t.displayName)}<input name="displayName" required maxlength="128"></label>` +
    `<label>${esc(t.role)}<select name="role">${roleOptions}</select></label><label>${esc(t.klass)}<input name="className" maxlength="64"></label>` +
    `<label>${esc(t.password)}<input name="password" type="password" autocomplete="new-password" required minlength="10"></label><button type="submit">${esc(t.create)}</button></form>`;
  await audit(ctx, request, 'view.accounts', 'accounts');
  return sendPage(request, reply, t.accounts, raw(body), status);
}

async function createAccount(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'accounts.manage', 'accounts');
  const t = textsOf(request);
  const form = createForm.safeParse(request.body);
  if (!form.success) return accountsPage(ctx, request, reply, `${t.problem} invalid_form`, 400);
  const result = await ctx.accounts.create({ ...form.data, className: form.data.className || null });
  if (!result.ok) {
    await audit(ctx, request, 'account.create.refused', null, { username: form.data.username, problem: result.problem });
    return accountsPage(ctx, request, reply, `${t.problem} ${result.problem}`, 400);
  }
  await audit(ctx, request, 'account.create', `account:${result.account.id}`, { username: result.account.username, role: result.account.role, className: result.account.className });
  return accountsPage(ctx, request, reply, t.created);
}

async function unlockAccount(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'accounts.manage', 'accounts');
  const id = (request.params as { id: string }).id;
  if (!(await ctx.accounts.unlock(id))) throw new HubError(404, 'not_found', 'no such account');
  await audit(ctx, request, 'account.unlock', `account:${id}`);
  return accountsPage(ctx, request, reply, textsOf(request).unlocked);
}

async function auditPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'audit.export', 'audit');
  const t = textsOf(request);
  const accounts = await ctx.store.listAccounts();
  const options = accounts.map((a) => `<option value="${esc(a.username)}">${esc(a.username)} (${esc(a.role)})</option>`).join('');
  const today = new Date(ctx.now() + ctx.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 10); // the school's date
  const body =
    `<form method="get" action="/console/audit/export" class="card"><label>${esc(t.username)}<select name="account">${options}</select></label>` +
    `<label>${esc(t.from)}<input type="date" name="from" value="${today}" required></label><label>${esc(t.to)}<input type="date" name="to" value="${today}" required></label>` +
    `<label>${esc(t.format)}<select name="format"><option value="html">${esc(t.onScreen)}</option><option value="csv">CSV</option><option value="json">JSON</option></select></label><button type="submit">${esc(t.download)}</button></form>`;
  await audit(ctx, request, 'view.audit', 'audit');
  return sendPage(request, reply, t.exportAudit, raw(body));
}

/** A page shows the latest this many; the download has them all. */
const AUDIT_ON_SCREEN = 1000;

function auditTable(records: readonly AuditRecord[]): string {
  const rows = records
    .map((r) => `<tr><td>${esc(new Date(r.atMs).toISOString().replace('T', ' ').slice(0, 19))}</td><td>${esc(r.action)}</td><td>${esc(r.subject ?? '')}</td><td>${esc(r.address)}</td><td><code>${esc(JSON.stringify(r.detail))}</code></td></tr>`)
    .join('');
  return `<table id="audit"><thead><tr><th scope="col">UTC</th><th scope="col">action</th><th scope="col">subject</th><th scope="col">address</th><th scope="col">detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function auditExport(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'audit.export', 'audit');
  const query = exportQuery.safeParse(request.query);
  const period = query.success ? parsePeriod(query.data.from, query.data.to, ctx.day) : null;
  if (!query.success || !period) throw new HubError(400, 'invalid_query', 'account, from, to (YYYY-MM-DD or ISO time) and format=html|csv|json');
  const target = await ctx.store.accountByName(query.data.account.toLowerCase());
  if (!target) throw new HubError(404, 'not_found', 'no such account');
  const records = await ctx.store.auditOf(target.id, period.fromMs, period.toMs, MAX_EXPORT_ROWS);
  await audit(ctx, request, 'audit.export', `account:${target.id}`, { username: target.username, from: period.fromMs, to: period.toMs, rows: records.length });
  if (query.data.format === 'html') return sendPage(request, reply, `${textsOf(request).audit}: ${target.username}`, raw(auditTable(records.slice(-AUDIT_ON_SCREEN))));
  const name = `audit-${target.username}-${query.data.from.slice(0, 10)}-${query.data.to.slice(0, 10)}.${query.data.format}`;
  void reply.header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`).header('cache-control', 'no-store');
  return query.data.format === 'csv' ? reply.type('text/csv; charset=utf-8').send(auditCsv(records)) : reply.type('application/json; charset=utf-8').send(auditJson(records));
}

export function registerAdminPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/accounts', async (request, reply) => {
    await requireCapability(ctx, request, 'accounts.manage', 'accounts');
    return accountsPage(ctx, request, reply);
  });
  scope.post('/accounts', (request, reply) => createAccount(ctx, request, reply));
  scope.post('/accounts/:id/unlock', (request, reply) => unlockAccount(ctx, request, reply));
  scope.get('/audit', (request, reply) => auditPage(ctx, request, reply));
  scope.get('/audit/export', (request, reply) => auditExport(ctx, request, reply));
}
