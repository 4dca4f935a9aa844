// The librarian's console pages (issue 20): the library's reports (hub/library/reports.ts: overdue
// loans by class with the borrowers' names, loans per class, the most-read titles), a copy found by
// its barcode with its loans, and the loan fold's flags (a double loan at two offline desks and the
// rest) with "mark resolved". Capability library.manage: the librarian and the director; a
// technician, a class teacher and everyone else get 403 before any name is read. Every view and
// every resolution is audited. A hub without a library answers 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { wireId } from '../../protocol/index.js';
import { HubError } from '../errors.js';
import { libraryReport, STAFF_KEY, UNKNOWN_KEY, type LibraryReport, type LibraryStore, type LoanFlag, type LoanRecord } from '../library/index.js';
import type { HubStorage } from '../storage.js';
import { ti } from './chart-page.js';
import { accountOf, audit, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import type { InsightCatalog } from './insight-messages.js';
import { requireCapability } from './pages.js';

/** The flags page lists this many, newest last; the fold raises a handful a term. */
const FLAGS_ON_SCREEN = 1000;

export interface LibraryPageDeps {
  store: LibraryStore;
  storage: HubStorage;
}

/** The capability first (403 before anything is read), then the library (404 when not served). */
async function libraryOf(ctx: ConsoleContext, request: FastifyRequest): Promise<LibraryPageDeps> {
  await requireCapability(ctx, request, 'library.manage', 'library');
  if (!ctx.library) throw new HubError(404, 'not_found', 'this hub serves no library');
  return ctx.library;
}

/** Borrowers' names from the roster, read once per page. */
async function namesOf(ctx: ConsoleContext): Promise<Map<string, string>> {
  return new Map((await ctx.store.rosterPeople()).map((p) => [p.id, p.name]));
}

/** The start of the school year (1 September, local) the reports count loans from. */
export function schoolYearStartMs(ctx: ConsoleContext): number {
  const local = new Date(ctx.now() + ctx.day.utcOffsetMinutes * 60_000);
  const year = local.getUTCMonth() >= 8 ? local.getUTCFullYear() : local.getUTCFullYear() - 1;
  return Date.UTC(year, 8, 1) - ctx.day.utcOffsetMinutes * 60_000;
}

function groupName(group: string, i: InsightCatalog): string {
  return group === STAFF_KEY ? i.staffKey : group === UNKNOWN_KEY ? i.unknownKey : group;
}

function date(ms: number | null, ctx: ConsoleContext): string {
  return ms === null ? '—' : new Date(ms + ctx.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

function overdueTable(report: LibraryReport, names: Map<string, string>, i: InsightCatalog, klass: string): string {
  const rows = report.overdueByClass.flatMap(({ group, loans }) =>
    loans.map((l) => `<tr data-loan="${esc(l.eventId)}" data-class="${esc(group)}" class="overdue"><td>${esc(groupName(group, i))}</td><td>${esc(names.get(l.borrowerId ?? '') ?? l.borrowerId ?? '—')}</td><td><a href="/console/library/copies?barcode=${encodeURIComponent(l.copyId)}">${esc(l.copyId)}</a></td><td>${esc(l.dueDate ?? '')}</td></tr>`),
  );
  return `<h3>${esc(i.overdue)}</h3><table id="library-overdue"><thead><tr><th scope="col">${esc(klass)}</th><th scope="col">${esc(i.borrower)}</th><th scope="col">${esc(i.copy)}</th><th scope="col">${esc(i.due)}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function reportTables(report: LibraryReport, i: InsightCatalog, klass: string): string {
  const perClass = report.loansPerClass.map((r) => `<tr data-class="${esc(r.group)}"><th scope="row">${esc(groupName(r.group, i))}</th><td class="num">${r.loans}</td></tr>`).join('');
  const top = report.mostRead.map((r) => `<tr data-title="${esc(r.titleId)}"><td>${esc(r.title)}</td><td class="num">${r.loans}</td></tr>`).join('');
  return (
    `<h3>${esc(i.loansPerClass)}</h3><table id="library-per-class"><thead><tr><th scope="col">${esc(klass)}</th><th scope="col" class="num">${esc(i.loans)}</th></tr></thead><tbody>${perClass}</tbody></table>` +
    `<h3>${esc(i.mostRead)}</h3><table id="library-most-read"><thead><tr><th scope="col">${esc(i.title)}</th><th scope="col" class="num">${esc(i.loans)}</th></tr></thead><tbody>${top}</tbody></table>`
  );
}

function libraryLinks(i: InsightCatalog): string {
  return `<p class="actions"><a href="/console/library/copies">${esc(i.findCopy)}</a> · <a href="/console/library/flags">${esc(i.flags)}</a> · <a href="/console/library/import">${esc(i.catalogueUpload)}</a></p>`;
}

async function reportsPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const library = await libraryOf(ctx, request);
  const i = ti(request);
  const report = await libraryReport(library.store, library.storage, { nowMs: ctx.now(), utcOffsetMinutes: ctx.day.utcOffsetMinutes, sinceMs: schoolYearStartMs(ctx), top: 10 });
  await audit(ctx, request, 'view.library', 'library', { overdue: report.overdueByClass.reduce((n, g) => n + g.loans.length, 0) });
  return sendPage(request, reply, i.library, raw(libraryLinks(i) + overdueTable(report, await namesOf(ctx), i, textsOf(request).klass) + reportTables(report, i, textsOf(request).klass)));
}

function loansTable(loans: readonly LoanRecord[], names: Map<string, string>, i: InsightCatalog, ctx: ConsoleContext): string {
  const rows = loans
    .map((l) => `<tr data-loan="${esc(l.eventId)}"${l.conflict ? ' class="overdue"' : ''}><td>${esc(names.get(l.borrowerId ?? '') ?? l.borrowerId ?? '—')}</td><td>${esc(l.deviceId)}</td><td>${esc(date(l.loanedMs, ctx))}</td><td>${esc(l.dueDate ?? '')}</td><td>${esc(date(l.returnedMs, ctx))}</td><td>${l.conflict ? `<span class="overdue-flag">${esc(i.conflict)}</span>` : ''}</td></tr>`)
    .join('');
  return `<table id="copy-loans"><thead><tr><th scope="col">${esc(i.borrower)}</th><th scope="col">${esc(i.desk)}</th><th scope="col">${esc(i.loaned)}</th><th scope="col">${esc(i.due)}</th><th scope="col">${esc(i.returned)}</th><th scope="col"></th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function copyPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const library = await libraryOf(ctx, request);
  const i = ti(request);
  const query = z.object({ barcode: z.string().max(64).optional() }).parse(request.query);
  const form = `<form method="get" action="/console/library/copies" class="card"><label>${esc(i.barcode)}<input name="barcode" value="${esc(query.barcode ?? '')}" required maxlength="64" autofocus></label><button type="submit">${esc(i.find)}</button></form>`;
  if (!query.barcode) return sendPage(request, reply, i.findCopy, raw(form));
  const barcode = wireId.safeParse(query.barcode.trim());
  const copy = barcode.success ? await library.store.copy(barcode.data) : null;
  await audit(ctx, request, 'view.library.copy', 'library', { barcode: query.barcode.slice(0, 64), found: copy !== null });
  if (!copy) return sendPage(request, reply, i.findCopy, raw(`${form}<p class="error" role="alert" id="no-copy">${esc(i.noCopy)}</p>`), 404);
  const title = await library.store.title(copy.titleId);
  const about = `<p id="copy" data-barcode="${esc(copy.barcode)}" data-status="${esc(copy.status)}"><strong>${esc(title?.title ?? copy.titleId)}</strong>${title?.author ? `, ${esc(title.author)}` : ''}${title?.year ? ` (${title.year})` : ''} · ${esc(copy.barcode)} · ${esc(copy.status)}</p>`;
  return sendPage(request, reply, `${i.copy} ${copy.barcode}`, raw(form + about + loansTable(await library.store.loansOfCopy(copy.barcode), await namesOf(ctx), i, ctx)));
}

function flagRow(flag: LoanFlag, i: InsightCatalog, ctx: ConsoleContext, csrf: string): string {
  const state = flag.resolvedMs === null
    ? `<form method="post" action="/console/library/flags/${flag.id}/resolve" class="inline"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button type="submit">${esc(i.resolve)}</button></form>`
    : `${esc(i.resolved)}: ${esc(date(flag.resolvedMs, ctx))}, ${esc(flag.resolvedBy ?? '')}`;
  return `<tr data-flag="${flag.id}" data-kind="${esc(flag.kind)}" data-resolved="${flag.resolvedMs === null ? 'no' : 'yes'}"${flag.resolvedMs === null ? ' class="overdue"' : ''}><td>${esc(flag.kind)}</td><td><a href="/console/library/copies?barcode=${encodeURIComponent(flag.copyId)}">${esc(flag.copyId)}</a></td><td>${esc(flag.eventId)}</td><td>${esc(flag.otherEventId)}</td><td>${esc(date(flag.createdMs, ctx))}</td><td>${state}</td></tr>`;
}

async function flagsPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const library = await libraryOf(ctx, request);
  const i = ti(request);
  const flags = await library.store.flags(0, FLAGS_ON_SCREEN);
  await audit(ctx, request, 'view.library.flags', 'library', { flags: flags.length });
  const csrf = reply.generateCsrf();
  const table = `<table id="library-flags"><thead><tr><th scope="col">${esc(i.kind)}</th><th scope="col">${esc(i.copy)}</th><th scope="col">${esc(i.event)}</th><th scope="col">${esc(i.otherEvent)}</th><th scope="col">${esc(i.raised)}</th><th scope="col"></th></tr></thead><tbody>${flags.map((f) => flagRow(f, i, ctx, csrf)).join('')}</tbody></table>`;
  return sendPage(request, reply, i.flags, raw(flags.length > 0 ? table : `<p>${esc(i.none)}</p>`));
}

async function resolveFlag(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const library = await libraryOf(ctx, request);
  const { id } = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).parse(request.params);
  const account = accountOf(request);
  const outcome = await library.store.resolveFlag(id, account.username, ctx.now());
  if (outcome === 'missing') throw new HubError(404, 'not_found', 'no such flag');
  await audit(ctx, request, 'library.flag.resolve', `library.flag:${id}`, { outcome });
  return reply.redirect('/console/library/flags', 303);
}

export function registerLibraryPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/library', (request, reply) => reportsPage(ctx, request, reply));
  scope.get('/library/copies', (request, reply) => copyPage(ctx, request, reply));
  scope.get('/library/flags', (request, reply) => flagsPage(ctx, request, reply));
  scope.post('/library/flags/:id/resolve', (request, reply) => resolveFlag(ctx, request, reply));
}
