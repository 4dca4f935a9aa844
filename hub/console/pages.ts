// The pages everyone reads: today's attendance by class, one class, the devices. Each checks its
// capability (roles.ts) and records the view: reading a child's data is an action too (Law 94-V).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../errors.js';
import { localTime, type ClassSummary, type PupilMark } from './attendance.js';
import { accountOf, audit, languageOf, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { insightCatalog } from './insight-messages.js';
import type { Catalog } from './messages.js';
import { peopleCatalog } from './people-messages.js';
import { can, canSeeClass, type Capability } from './roles.js';

export async function forbid(ctx: ConsoleContext, request: FastifyRequest, subject: string | null): Promise<never> {
  await audit(ctx, request, 'denied', subject, { path: request.url.split('?')[0] });
  throw new HubError(403, 'forbidden', 'forbidden');
}

export async function requireCapability(ctx: ConsoleContext, request: FastifyRequest, capability: Capability, subject: string | null): Promise<void> {
  if (!can(accountOf(request).role, capability)) await forbid(ctx, request, subject);
}

function summaryTable(rows: readonly ClassSummary[], t: Catalog, links: boolean): string {
  const body = rows
    .map((r) => {
      const name = links ? `<a href="/console/classes/${encodeURIComponent(r.group)}">${esc(r.group)}</a>` : esc(r.group);
      return `<tr data-class="${esc(r.group)}"><th scope="row">${name}</th><td class="num">${r.total}</td><td class="num present">${r.present}</td><td class="num late">${r.late}</td><td class="num absent">${r.absent}</td></tr>`;
    })
    .join('');
  return `<table id="attendance"><thead><tr><th scope="col">${esc(t.klass)}</th><th scope="col" class="num">${esc(t.total)}</th><th scope="col" class="num">${esc(t.present)}</th><th scope="col" class="num">${esc(t.late)}</th><th scope="col" class="num">${esc(t.absent)}</th></tr></thead><tbody>${body}</tbody></table>`;
}

function classTable(pupils: readonly PupilMark[], t: Catalog, ctx: ConsoleContext): string {
  const label = { present: t.present, late: t.late, absent: t.absent };
  const body = pupils
    .map((p) => `<tr data-person="${esc(p.id)}" data-mark="${p.mark}"><td>${esc(p.name)}</td><td class="${p.mark}">${esc(label[p.mark])}</td><td>${p.arrivedMs === null ? '—' : esc(localTime(p.arrivedMs, ctx.day))}</td></tr>`)
    .join('');
  return `<table id="class"><thead><tr><th scope="col">${esc(t.pupil)}</th><th scope="col">${esc(t.status)}</th><th scope="col">${esc(t.arrived)}</th></tr></thead><tbody>${body}</tbody></table>`;
}

async function attendancePage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'attendance.counts', 'attendance');
  const t = textsOf(request);
  const rows = await ctx.attendance.summary(ctx.now());
  await audit(ctx, request, 'view.attendance', 'attendance', { classes: rows.length });
  return sendPage(request, reply, t.attendance, raw(summaryTable(rows, t, can(accountOf(request).role, 'attendance.all'))));
}

/** This month's register (XLSX, CSV) and the class's people page: the same rule lets one see all three. */
function classLinks(ctx: ConsoleContext, request: FastifyRequest, group: string): string {
  const p = peopleCatalog(languageOf(request));
  const month = new Date(ctx.now() + ctx.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 7);
  const base = `/console/classes/${encodeURIComponent(group)}/register?month=${month}`;
  return `<p class="actions"><a id="register-xlsx" href="${base}&amp;format=xlsx">${esc(p.register)} (XLSX)</a> · <a id="register-csv" href="${base}&amp;format=csv">CSV</a> · <a href="/console/people/classes/${encodeURIComponent(group)}">${esc(p.people)}</a> · <a id="chart-link" href="/console/classes/${encodeURIComponent(group)}/chart?month=${month}">${esc(insightCatalog(languageOf(request)).chart)}</a></p>`;
}

async function classPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const group = (request.params as { group: string }).group;
  const subject = `class:${group.slice(0, 64)}`;
  if (!canSeeClass(accountOf(request), group)) await forbid(ctx, request, subject);
  const t = textsOf(request);
  const pupils = await ctx.attendance.classMarks(ctx.now(), group);
  if (pupils === null) throw new HubError(404, 'not_found', 'no such class');
  await audit(ctx, request, 'view.class', subject, { pupils: pupils.length });
  return sendPage(request, reply, `${t.klass} ${group}`, raw(classLinks(ctx, request, group) + classTable(pupils, t, ctx)));
}

async function devicesPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'devices', 'devices');
  const t = textsOf(request);
  const since = ctx.now() - 24 * 3_600_000;
  const devices = await ctx.store.deviceHealth(since);
  await audit(ctx, request, 'view.devices', 'devices', { devices: devices.length });
  const body = devices
    .map((d) => `<tr data-device="${esc(d.id)}"><td>${esc(d.id)}</td><td>${esc(d.name ?? '')}</td><td>${esc(d.disabled ? t.disabled : t.active)}</td><td>${d.lastReceivedMs === null ? esc(t.never) : esc(new Date(d.lastReceivedMs).toISOString().slice(0, 16).replace('T', ' '))}</td><td class="num">${d.eventsSince}</td></tr>`)
    .join('');
  const table = `<table id="devices"><thead><tr><th scope="col">${esc(t.device)}</th><th scope="col">${esc(t.label)}</th><th scope="col">${esc(t.status)}</th><th scope="col">${esc(t.lastContact)} (UTC)</th><th scope="col" class="num">${esc(t.eventsToday)}</th></tr></thead><tbody>${body}</tbody></table>`;
  return sendPage(request, reply, t.devices, raw(table));
}

export function registerPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/attendance', (request, reply) => attendancePage(ctx, request, reply));
  scope.get<{ Params: { group: string } }>('/classes/:group', { schema: { params: { type: 'object', properties: { group: { type: 'string', maxLength: 64 } } } } }, (request, reply) => classPage(ctx, request, reply));
  scope.get('/devices', (request, reply) => devicesPage(ctx, request, reply));
  scope.get('/home', (request, reply) => sendPage(request, reply, textsOf(request).title, raw(`<p>${esc(textsOf(request).nothingHere)}</p>`)));
}
