// The data-subject request pages (Law 94-V): /console/privacy lists the register with each
// deadline (overdue ones highlighted) and a form to register a request; /console/privacy/:id shows one
// with its status and the actions, all through hub/privacy's PrivacyService (the same service as the
// admin API): carry it out, check the devices and close, download a know request's answer; a block or
// destruction shows its record with each device's acknowledgement. Directors only
// ('privacy.manage': a class teacher and a technician get 403, audited). Every view and action is an
// audit record whose subject is the child, so a later request to know finds them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { newRequestSchema, type PrivacyService, type StoredRequest } from '../privacy/index.js';
import { audit, languageOf, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { requireCapability } from './pages.js';
import { fill, privacyCatalog, recordLabel, type PrivacyCatalog } from './privacy-messages.js';
import type { Language } from './messages.js';

const idParams = z.object({ id: z.uuid() });
const REQUEST_CHANNELS = newRequestSchema.shape.channel.options;
const REQUEST_KINDS = newRequestSchema.shape.kind.options;
type Shown = StoredRequest & { overdue: boolean };
type Flash = 'registered' | 'executed' | 'answered' | 'closed' | 'waiting';

function tr(request: FastifyRequest): PrivacyCatalog {
  return privacyCatalog(languageOf(request));
}

/** The service, once the capability is checked (the check comes first: a 403 says nothing about the hub). */
async function guarded(ctx: ConsoleContext, request: FastifyRequest, subject: string): Promise<PrivacyService> {
  await requireCapability(ctx, request, 'privacy.manage', subject);
  if (!ctx.privacy) throw new HubError(404, 'not_found', 'data-subject requests are not served by this hub');
  return ctx.privacy;
}

/** The request id of the URL; anything else is no such request (not a 500 from the parser). */
function requestId(request: FastifyRequest): string {
  const parsed = idParams.safeParse(request.params);
  if (!parsed.success) throw new HubError(404, 'not_found', 'no such request');
  return parsed.data.id;
}

async function namesOf(ctx: ConsoleContext): Promise<Map<string, { name: string; group: string | null }>> {
  return new Map((await ctx.store.rosterPeople()).filter((p) => p.role === 'student').map((p) => [p.id, { name: p.name, group: p.group }]));
}

function requestRow(t: PrivacyCatalog, r: Shown, names: ReadonlyMap<string, { name: string }>): string {
  // A destroyed child has no name left anywhere: the id is all the register keeps.
  const who = names.get(r.personId)?.name ?? r.personId;
  const overdue = r.overdue ? ` <strong class="overdue-flag">${esc(t.overdue)}</strong>` : '';
  return (
    `<tr data-request="${esc(r.id)}" data-status="${r.status}" data-overdue="${r.overdue}"${r.overdue ? ' class="overdue"' : ''}>` +
    `<td><a href="/console/privacy/${esc(r.id)}">${esc(t[`k_${r.kind}`])}</a></td><td>${esc(who)}</td><td>${esc(r.requester)}</td>` +
    `<td>${esc(r.receivedOn)}</td><td>${esc(r.deadline)}${overdue}</td><td>${esc(t[`rs_${r.status}`])}</td></tr>`
  );
}

function registerForm(t: PrivacyCatalog, csrf: string, names: ReadonlyMap<string, { name: string; group: string | null }>, today: string): string {
  const pupils = [...names.entries()].sort(([, a], [, b]) => `${a.group ?? ''} ${a.name}`.localeCompare(`${b.group ?? ''} ${b.name}`, 'kk', { numeric: true }));
  const select = (name: string, values: readonly string[], label: (v: string) => string): string => `<select name="${name}">${values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join('')}</select>`;
  return (
    `<h3>${esc(t.newRequest)}</h3><form method="post" action="/console/privacy" class="card" id="request-form"><input type="hidden" name="_csrf" value="${esc(csrf)}">` +
    `<label>${esc(t.kind)}${select('kind', REQUEST_KINDS, (k) => t[`k_${k as StoredRequest['kind']}`])}</label>` +
    `<label>${esc(t.child)}<select name="personId">${pupils.map(([id, p]) => `<option value="${esc(id)}">${esc(p.group ?? '')} ${esc(p.name)}</option>`).join('')}</select></label>` +
    `<label>${esc(t.requester)}<input name="requester" required maxlength="256"></label>` +
    `<label>${esc(t.channel)}${select('channel', REQUEST_CHANNELS, (c) => t[`rch_${c as StoredRequest['channel']}`])}</label>` +
    `<label>${esc(t.receivedOn)}<input type="date" name="receivedOn" value="${esc(today)}" max="${esc(today)}" required></label>` +
    `<label>${esc(t.note)}<input name="note" maxlength="2000"></label><button type="submit">${esc(t.newRequest)}</button></form>`
  );
}

async function listPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, problem: string | null = null): Promise<FastifyReply> {
  const service = await guarded(ctx, request, 'privacy');
  const t = tr(request);
  const [requests, names] = await Promise.all([service.list(null, false, 500), namesOf(ctx)]);
  await audit(ctx, request, 'view.privacy', 'privacy', { requests: requests.length, overdue: requests.filter((r) => r.overdue).length });
  const head = [t.kind, t.child, t.requester, t.receivedOn, t.deadline, t.status].map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const table = requests.length === 0 ? `<p>${esc(t.none)}</p>` : `<table id="requests"><thead><tr>${head}</tr></thead><tbody>${requests.map((r) => requestRow(t, r, names)).join('')}</tbody></table>`;
  const error = problem ? `<p class="error" role="alert">${esc(problem)}</p>` : '';
  const body = error + `<p id="today">${esc(fill(t.today, { day: service.today() }))}</p>` + table + registerForm(t, reply.generateCsrf(), names, service.today());
  return sendPage(request, reply, t.requests, raw(body), problem ? 400 : 200);
}

async function registerRequest(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const service = await guarded(ctx, request, 'privacy');
  const t = tr(request);
  const parsed = newRequestSchema.safeParse(request.body);
  const known = parsed.success && (await namesOf(ctx)).has(parsed.data.personId);
  if (!parsed.success || !known || parsed.data.receivedOn > service.today()) {
    await audit(ctx, request, 'privacy.register.refused', parsed.success ? `person:${parsed.data.personId}` : null, { problem: parsed.success && !known ? 'no_person' : 'invalid' });
    return listPage(ctx, request, reply, parsed.success && !known ? t.rp_no_person : t.rp_invalid);
  }
  const created = await service.register(parsed.data);
  await audit(ctx, request, 'privacy.register', `person:${created.personId}`, { request: created.id, kind: created.kind, channel: created.channel, receivedOn: created.receivedOn, deadline: created.deadline });
  return reply.redirect(`/console/privacy/${created.id}?done=registered`, 303);
}

function ackTable(t: PrivacyCatalog, record: Record<string, unknown>): string {
  const acks = record.acknowledgements as { targetCursor: number; devices: Array<{ deviceId: string; ackedCursor: number | null; ackedAt: string | null; done: boolean }> } | undefined;
  if (!acks) return '';
  const rows = acks.devices
    .map((d) => `<tr data-device="${esc(d.deviceId)}" data-done="${d.done}"><td>${esc(d.deviceId)}</td><td>${d.done ? esc(fill(t.ackDone, { cursor: d.ackedCursor ?? '', at: (d.ackedAt ?? '').slice(0, 16).replace('T', ' ') })) : esc(t.ackWaiting)}</td></tr>`)
    .join('');
  return `<table id="acks" data-target="${acks.targetCursor}"><thead><tr><th scope="col">${esc(t.device)}</th><th scope="col">${esc(t.acked)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** What was done on the hub (counts and times): the record's plain values; the devices' table beside it. */
function outcomeSection(t: PrivacyCatalog, lang: Language, r: Shown): string {
  if (r.record === null) return '';
  const plain = Object.entries(r.record).filter(([key, value]) => key !== 'acknowledgements' && (typeof value !== 'object' || value === null));
  const items = r.kind === 'know' && typeof r.record.items === 'object' && r.record.items !== null ? Object.entries(r.record.items as Record<string, unknown>) : [];
  const list = [...plain, ...items].map(([key, value]) => `<tr data-key="${esc(key)}"><th scope="row">${esc(recordLabel(lang, key))}</th><td>${esc(String(value))}</td></tr>`).join('');
  const title = r.kind === 'destroy' ? t.destructionRecord : r.kind === 'block' ? t.blockRecord : t.outcome;
  return `<section id="outcome"><h3>${esc(title)}</h3><table id="record"><tbody>${list}</tbody></table>${ackTable(t, r.record)}</section>`;
}

function actions(t: PrivacyCatalog, r: Shown, csrf: string): string {
  const form = (action: string, label: string): string => `<form method="post" action="/console/privacy/${esc(r.id)}/${action}" class="inline" id="${action}-form"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button type="submit">${esc(label)}</button></form>`;
  if (r.status === 'open') return `<p class="actions">${form('execute', t.execute)}</p>`;
  if (r.status === 'awaiting_devices') return `<p class="actions">${form('close', t.close)}</p>`;
  return r.kind === 'know' ? `<p class="actions"><a id="download" href="/console/privacy/${esc(r.id)}/export">${esc(t.download)}</a></p>` : '';
}

const FLASH: Record<Flash, keyof PrivacyCatalog> = { registered: 'registered', executed: 'executed', answered: 'answered', closed: 'closed', waiting: 'stillWaiting' };

async function requestPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const service = await guarded(ctx, request, 'privacy');
  const id = requestId(request);
  const r = await service.get(id);
  const t = tr(request);
  const who = (await namesOf(ctx)).get(r.personId);
  await audit(ctx, request, 'view.privacy.request', `person:${r.personId}`, { request: r.id, status: r.status });
  const done = (request.query as { done?: string }).done;
  const flash = done !== undefined && done in FLASH ? `<p class="notice" role="status" id="flash">${esc(t[FLASH[done as Flash]])}</p>` : '';
  const fields: Array<[string, string]> = [[t.kind, t[`k_${r.kind}`]], [t.child, who ? `${who.group ?? ''} ${who.name}` : r.personId], [t.requester, r.requester], [t.channel, t[`rch_${r.channel}`]], [t.receivedOn, r.receivedOn], [t.deadline, r.deadline], [t.status, t[`rs_${r.status}`]]];
  const rows = fields.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const overdue = r.overdue ? `<p class="error overdue" id="overdue">${esc(t.overdue)}</p>` : '';
  const consent = who ? ` <a href="/console/people/${esc(r.personId)}/consent">${esc(t.consent)}</a>` : '';
  const body = flash + overdue + `<table id="request" data-status="${r.status}" data-kind="${r.kind}"><tbody>${rows}</tbody></table>` + actions(t, r, reply.generateCsrf()) + outcomeSection(t, languageOf(request), r) + `<p><a href="/console/privacy">${esc(t.requests)}</a>${consent}</p>`;
  return sendPage(request, reply, `${t[`k_${r.kind}`]}: ${who?.name ?? r.personId}`, raw(body));
}

async function execute(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const service = await guarded(ctx, request, 'privacy');
  const id = requestId(request);
  const { request: done } = await service.execute(id);
  await audit(ctx, request, `privacy.execute.${done.kind}`, `person:${done.personId}`, { request: id, status: done.status, cursor: done.targetCursor });
  const flash: Flash = done.kind === 'know' ? 'answered' : done.status === 'closed' ? 'closed' : 'executed';
  return reply.redirect(`/console/privacy/${id}?done=${flash}`, 303);
}

async function close(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const service = await guarded(ctx, request, 'privacy');
  const id = requestId(request);
  // The service closes a request once every device has pulled past its change; this asks it now.
  const r = await service.get(id);
  await audit(ctx, request, r.status === 'closed' ? 'privacy.close' : 'privacy.close.waiting', `person:${r.personId}`, { request: id, status: r.status });
  return reply.redirect(`/console/privacy/${id}?done=${r.status === 'closed' ? 'closed' : 'waiting'}`, 303);
}

async function download(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const service = await guarded(ctx, request, 'privacy');
  const id = requestId(request);
  const answer = await service.knowAnswer(id);
  await audit(ctx, request, 'privacy.export', `person:${answer.personId}`, { request: id, items: answer.summary });
  return reply
    .header('content-disposition', `attachment; filename="request-${id}.json"`)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer, null, 2));
}

export function registerPrivacyPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/privacy', (request, reply) => listPage(ctx, request, reply));
  scope.post('/privacy', (request, reply) => registerRequest(ctx, request, reply));
  scope.get('/privacy/:id', (request, reply) => requestPage(ctx, request, reply));
  scope.post('/privacy/:id/execute', (request, reply) => execute(ctx, request, reply));
  scope.post('/privacy/:id/close', (request, reply) => close(ctx, request, reply));
  scope.get('/privacy/:id/export', (request, reply) => download(ctx, request, reply));
}
