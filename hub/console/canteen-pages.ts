// The canteen's console pages for the canteen operator and the director (capability canteen.manage):
// today's meals per period for the kitchen, the fold's flags (double free meals, refused charges)
// with a resolve button, a child's statement with its running balance, and the monthly free-meal
// report (reports.ts, the same file the admin API serves). Every view and action is audited; a
// class teacher and a technician get 403 (audited too). The menu and register pages are in
// canteen-settings-pages.ts, the cashier's top-ups in canteen-topup-page.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CanteenConsoleKit, CanteenLedger, CanteenSettingsStore, CanteenTopUps, FlagResolution, MealFlag, MealStore } from '../canteen/index.js';
import { HubError } from '../errors.js';
import type { HubStorage } from '../storage.js';
import { canteenCatalog, type CanteenCatalog } from './canteen-messages.js';
import { accountOf, audit, languageOf, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { requireCapability } from './pages.js';
import { can } from './roles.js';

/** What the canteen pages read and write, handed in by the hub (hub/canteen's stores). */
export interface ConsoleCanteen {
  ledger: CanteenLedger;
  meals: MealStore;
  settings: CanteenSettingsStore;
  topUps: CanteenTopUps;
  /** The roster: a child's name and class. */
  storage: HubStorage;
  /** hub/canteen's reports, register import and account naming (console-kit.ts says why handed in). */
  kit: CanteenConsoleKit;
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const FLAGS_SHOWN = 500;
export const personIdField = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const reportQuery = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/), format: z.enum(['csv', 'xlsx']).default('xlsx') });
const resolveBody = z.object({ note: z.string().max(500).default('') });
const flagParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export function tc(request: FastifyRequest): CanteenCatalog {
  return canteenCatalog(languageOf(request));
}

export function schoolToday(ctx: ConsoleContext): string {
  return new Date(ctx.now() + ctx.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The roster's name and class of a person, or null when the roster has no such person. */
export async function childOf(storage: HubStorage, personId: string): Promise<{ name: string; group: string | null } | null> {
  const entity = await storage.rosterEntity('person', personId);
  if (entity?.op !== 'upsert' || entity.type !== 'person') return null;
  return { name: entity.data.name, group: entity.data.group ?? null };
}

/**
 * The school's pupils as a datalist for the child fields: the cashier types a name or a class and the
 * browser offers the id (no script: the CSP allows none).
 */
export async function childrenList(ctx: ConsoleContext): Promise<string> {
  // Blocked pupils too: a blocked card does not close a canteen account.
  const pupils = (await ctx.store.rosterPeople()).filter((p) => p.role === 'student');
  pupils.sort((a, b) => (a.group ?? '').localeCompare(b.group ?? '', 'kk', { numeric: true }) || a.name.localeCompare(b.name, 'kk'));
  return `<datalist id="children">${pupils.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}${p.group ? ` (${esc(p.group)})` : ''}</option>`).join('')}</datalist>`;
}

export function notice(text: string, id: string): string {
  return `<p class="notice" role="status" id="${esc(id)}">${esc(text)}</p>`;
}

export function problem(text: string, id: string): string {
  return `<p class="error" role="alert" id="${esc(id)}">${esc(text)}</p>`;
}

function canteenLinks(t: CanteenCatalog, request: FastifyRequest, month: string, children: string): string {
  const topUp = can(accountOf(request).role, 'canteen.topup') ? `<a id="topup-link" href="/console/canteen/topup">${esc(t.topUp)}</a> · ` : '';
  const report = `/console/canteen/report?month=${month}`;
  return (
    `<p class="actions">${topUp}<a href="/console/canteen/menu">${esc(t.menu)}</a> · <a href="/console/canteen/register">${esc(t.register)}</a> · ` +
    `${esc(t.report)} ${esc(month)}: <a id="report-xlsx" href="${report}&amp;format=xlsx">XLSX</a> · <a id="report-csv" href="${report}&amp;format=csv">CSV</a></p>` +
    `<form method="get" action="/console/canteen/statement" class="card" id="statement-form"><label>${esc(t.child)} <input name="person" required maxlength="128" list="children"></label><button type="submit">${esc(t.statement)}</button></form>${children}`
  );
}

function countsTable(t: CanteenCatalog, tenge: CanteenConsoleKit['tenge'], counts: Awaited<ReturnType<MealStore['dayCounts']>>): string {
  if (counts.length === 0) return `<p id="no-meals">${esc(t.noMeals)}</p>`;
  const rows = counts.map((c) => `<tr data-period="${esc(c.periodId)}"><th scope="row">${esc(c.periodId)}</th><td class="num">${c.free}</td><td class="num">${c.paid}</td><td class="num">${tenge(c.chargeTiyn)}</td><td class="num">${tenge(c.subsidyTiyn)}</td></tr>`).join('');
  return `<table id="counts"><thead><tr><th scope="col">${esc(t.period)}</th><th scope="col" class="num">${esc(t.free)}</th><th scope="col" class="num">${esc(t.paid)}</th><th scope="col" class="num">${esc(t.takings)}</th><th scope="col" class="num">${esc(t.subsidy)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function flagDetail(flag: MealFlag): string {
  const d = flag.detail;
  const parts = [typeof d.personId === 'string' ? d.personId : '', typeof d.deviceId === 'string' ? d.deviceId : '', typeof d.error === 'string' ? d.error : '', flag.eventId, flag.otherEventId];
  return parts.filter((p) => p !== '').join(' · ');
}

function flagRow(t: CanteenCatalog, flag: MealFlag, resolution: FlagResolution | undefined, csrf: string): string {
  const kind = t[`fk_${flag.kind}`];
  const state = resolution
    ? esc(t.resolvedBy.replace('{who}', resolution.resolvedBy).replace('{at}', utcMinute(resolution.resolvedMs))) + (resolution.note ? `: ${esc(resolution.note)}` : '')
    : `${esc(t.open)} <form method="post" action="/console/canteen/flags/${flag.id}/resolve" class="inline"><input type="hidden" name="_csrf" value="${esc(csrf)}">` +
      `<input name="note" maxlength="500" aria-label="${esc(t.note)}" placeholder="${esc(t.note)}"><button type="submit">${esc(t.resolve)}</button></form>`;
  return `<tr data-flag="${flag.id}" data-state="${resolution ? 'resolved' : 'open'}"><td>${esc(kind)}</td><td>${esc(flagDetail(flag))}</td><td>${esc(utcMinute(flag.createdMs))}</td><td>${state}</td></tr>`;
}

async function flagsTable(t: CanteenCatalog, canteen: ConsoleCanteen, csrf: string): Promise<string> {
  const flags = await canteen.meals.flags(0, FLAGS_SHOWN);
  if (flags.length === 0) return `<p id="no-flags">${esc(t.noFlags)}</p>`;
  const resolutions = await canteen.meals.flagResolutions(0, flags.at(-1)?.id ?? 0);
  // Open flags first: they are the work; resolved ones stay listed below as the record.
  const ordered = [...flags.filter((f) => !resolutions.has(f.id)), ...flags.filter((f) => resolutions.has(f.id))];
  const rows = ordered.map((f) => flagRow(t, f, resolutions.get(f.id), csrf)).join('');
  return `<table id="flags"><thead><tr><th scope="col">${esc(t.kind)}</th><th scope="col">${esc(t.detail)}</th><th scope="col">${esc(t.raised)} (UTC)</th><th scope="col">${esc(t.state)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function overviewPage(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.manage', 'canteen');
  const t = tc(request);
  const day = schoolToday(ctx);
  const done = z.object({ done: z.enum(['resolved', 'already']).optional() }).safeParse(request.query);
  const status = !done.success || done.data.done === undefined ? '' : notice(done.data.done === 'resolved' ? t.flagResolved : t.flagAlready, 'flag-done');
  const counts = await canteen.meals.dayCounts(day);
  const flags = await flagsTable(t, canteen, reply.generateCsrf());
  await audit(ctx, request, 'view.canteen', 'canteen', { day, periods: counts.length });
  const body = status + canteenLinks(t, request, day.slice(0, 7), await childrenList(ctx)) + `<h3>${esc(t.today.replace('{day}', day))}</h3>` + countsTable(t, canteen.kit.tenge, counts) + `<h3>${esc(t.flags)}</h3>` + flags;
  return sendPage(request, reply, t.canteen, raw(body));
}

async function resolveFlag(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id } = flagParams.parse(request.params);
  await requireCapability(ctx, request, 'canteen.manage', `canteen_flag:${id}`);
  const { note } = resolveBody.parse(request.body ?? {});
  const account = accountOf(request);
  const outcome = await canteen.meals.resolveFlag(id, account.username, note.trim(), ctx.now());
  await audit(ctx, request, 'canteen.flag.resolve', `canteen_flag:${id}`, { outcome, note: note.trim() });
  if (outcome === 'not_found') throw new HubError(404, 'not_found', 'no such flag');
  return reply.redirect(`/console/canteen?done=${outcome === 'resolved' ? 'resolved' : 'already'}`, 303);
}

async function reportDownload(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.manage', 'canteen.report');
  const query = reportQuery.safeParse(request.query);
  if (!query.success) return sendPage(request, reply, tc(request).report, raw(problem('month=YYYY-MM, format=csv|xlsx', 'report-problem')), 400);
  const { freeMealReport, freeMealCsv, freeMealXlsx } = canteen.kit;
  const report = await freeMealReport(canteen.meals, canteen.storage, query.data.month);
  await audit(ctx, request, 'canteen.report.export', 'canteen.report', { month: query.data.month, format: query.data.format, lines: report.lines.length });
  const file = `free-meals-${query.data.month}.${query.data.format}`;
  reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${file}"`);
  if (query.data.format === 'csv') return reply.type('text/csv; charset=utf-8').send(freeMealCsv(report));
  return reply.type(XLSX_TYPE).send(await freeMealXlsx(report));
}

export function registerCanteenPages(scope: FastifyInstance, ctx: ConsoleContext, canteen: ConsoleCanteen): void {
  scope.get('/canteen', (request, reply) => overviewPage(ctx, canteen, request, reply));
  scope.post('/canteen/flags/:id/resolve', (request, reply) => resolveFlag(ctx, canteen, request, reply));
  scope.get('/canteen/report', (request, reply) => reportDownload(ctx, canteen, request, reply));
  scope.get('/canteen/statement', (request, reply) => statementPage(ctx, canteen, request, reply));
}

// ---- a child's statement -------------------------------------------------------------------

const statementQuery = z.object({
  person: personIdField,
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  done: z.enum(['topup', 'again', 'reversed']).optional(),
  transfer: z.string().max(200).optional(),
});
const STATEMENT_PAGE = 200;

function doneNotice(t: CanteenCatalog, tenge: CanteenConsoleKit['tenge'], done: 'topup' | 'again' | 'reversed' | undefined, transfer: string | undefined, amountTiyn: number | null): string {
  if (done === 'topup') return notice(t.topUpDone.replace('{amount}', tenge(amountTiyn ?? 0)).replace('{id}', transfer ?? ''), 'topup-done');
  if (done === 'again') return notice(t.topUpAgain, 'topup-again');
  if (done === 'reversed') return notice(t.reversed, 'reversed');
  return '';
}

async function statementPage(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.manage', 'canteen.statement');
  const t = tc(request);
  const query = statementQuery.safeParse(request.query);
  if (!query.success) return sendPage(request, reply, t.statement, raw(problem(t.unknownChild, 'statement-problem')), 400);
  const { person, after } = query.data;
  const child = await childOf(canteen.storage, person);
  if (child === null) return sendPage(request, reply, t.statement, raw(problem(t.unknownChild, 'statement-problem')), 404);
  const page = await canteen.ledger.statement(canteen.kit.personAccount(person), after, STATEMENT_PAGE);
  await audit(ctx, request, 'view.canteen.statement', `person:${person}`, { entries: page?.entries.length ?? 0 });
  const done = query.data.transfer ? await canteen.ledger.transfer(query.data.transfer) : null;
  const title = t.statementFor.replace('{name}', `${child.name}${child.group ? ` (${child.group})` : ''}`);
  const head = doneNotice(t, canteen.kit.tenge, query.data.done, query.data.transfer, done?.amountTiyn ?? null) + statementActions(t, request, person);
  if (page === null) return sendPage(request, reply, title, raw(`${head}<p id="no-account">${esc(t.noAccount)}</p>`));
  const more = page.more ? `<p><a id="statement-next" href="/console/canteen/statement?person=${encodeURIComponent(person)}&amp;after=${page.next}">→</a></p>` : '';
  const balance = `<p id="balance" data-tiyn="${page.account.balanceTiyn}">${esc(t.balance)}: <strong>${canteen.kit.tenge(page.account.balanceTiyn)}</strong></p>`;
  return sendPage(request, reply, title, raw(head + balance + entriesTable(t, canteen.kit.tenge, page.entries, person, can(accountOf(request).role, 'canteen.topup') ? reply.generateCsrf() : null) + more));
}

function statementActions(t: CanteenCatalog, request: FastifyRequest, person: string): string {
  if (!can(accountOf(request).role, 'canteen.topup')) return '';
  return `<p class="actions"><a id="topup-child" href="/console/canteen/topup?person=${encodeURIComponent(person)}">${esc(t.topUp)}</a></p>`;
}

type Entry = NonNullable<Awaited<ReturnType<CanteenLedger['statement']>>>['entries'][number];

function entriesTable(t: CanteenCatalog, tenge: CanteenConsoleKit['tenge'], entries: readonly Entry[], person: string, csrf: string | null): string {
  const reversed = new Set(entries.filter((e) => e.kind === 'correction' && e.reference !== null).map((e) => e.reference));
  const rows = entries.map((e) => {
    const reverse = csrf !== null && e.kind === 'top_up' && !reversed.has(e.transferId)
      ? `<form method="post" action="/console/canteen/reverse" class="inline"><input type="hidden" name="_csrf" value="${esc(csrf)}"><input type="hidden" name="transferId" value="${esc(e.transferId)}"><input type="hidden" name="person" value="${esc(person)}"><button type="submit">${esc(t.reverse)}</button></form>`
      : '';
    return `<tr data-transfer="${esc(e.transferId)}" data-kind="${e.kind}"><td>${esc(e.at.slice(0, 16).replace('T', ' '))}</td><td>${esc(t[`tk_${e.kind}`])}</td><td class="num">${tenge(e.amountTiyn)}</td><td class="num">${tenge(e.balanceAfterTiyn)}</td><td>${esc(e.reference ?? '')}</td><td>${reverse}</td></tr>`;
  }).join('');
  return `<table id="statement"><thead><tr><th scope="col">${esc(t.when)}</th><th scope="col">${esc(t.kind)}</th><th scope="col" class="num">${esc(t.amount)}</th><th scope="col" class="num">${esc(t.balance)}</th><th scope="col">${esc(t.reference)}</th><th scope="col"></th></tr></thead><tbody>${rows}</tbody></table>`;
}
