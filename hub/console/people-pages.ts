// The people pages: the classes, one class's pupils with their guardians, a pupil's form (create and
// edit), block and unblock. A director manages everyone; a class teacher reads their own class
// (names and guardians' phones, never an ИИН) and gets 403 for any other; every other role gets
// 403. Each view and change is an audit record naming whose data it touched.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { normaliseClass } from './class-import.js';
import { accountOf, audit, languageOf, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { parseIin } from './iin.js';
import { peopleCatalog, problemText, type PeopleCatalog } from './people-messages.js';
import type { PersonInput, PersonView } from './people.js';
import { forbid, requireCapability } from './pages.js';
import { can, canEnrol, canSeeClass } from './roles.js';
import { enrolCatalog } from './enrol-messages.js';
import { privacyCatalog } from './privacy-messages.js';

const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/) });
const groupParams = z.object({ group: z.string().min(1).max(64) });
const personForm = z.object({
  iin: z.string().max(32),
  surname: z.string().max(200),
  name: z.string().max(200),
  patronymic: z.string().max(200).default(''),
  group: z.string().max(64),
});

export function tp(request: FastifyRequest): PeopleCatalog {
  return peopleCatalog(languageOf(request));
}

function csrfField(reply: FastifyReply): string {
  return `<input type="hidden" name="_csrf" value="${esc(reply.generateCsrf())}">`;
}

function notice(text: string | null, ok: boolean): string {
  return text ? `<p class="${ok ? 'notice' : 'error'}" role="status">${esc(text)}</p>` : '';
}

/**
 * `photos`: the label of the link to the person's photo enrolment page, when this account may enrol
 * them; `consent`: the label of the link to their consent records, when this account keeps them.
 */
function pupilRow(p: PersonView, t: PeopleCatalog, manage: boolean, csrf: string, photos: string | null, consent: string | null = null): string {
  const guardians = p.guardians.map((g) => `${esc(g.name)} <span class="phone">${esc(g.phone)}</span>`).join('<br>');
  const status = p.status === 'blocked' ? esc(t.blocked) : '';
  const actions = manage
    ? `<a href="/console/people/${esc(p.id)}/edit">${esc(t.edit)}</a> <form method="post" action="/console/people/${esc(p.id)}/${p.status === 'blocked' ? 'unblock' : 'block'}" class="inline">${csrf}<button type="submit">${esc(p.status === 'blocked' ? t.unblock : t.block)}</button></form>`
    : '';
  const enrol = (photos === null ? '' : ` <a href="/console/people/${esc(p.id)}/photos" class="photos">${esc(photos)}</a>`) +
    (consent === null ? '' : ` <a href="/console/people/${esc(p.id)}/consent" class="consent">${esc(consent)}</a>`);
  const iin = manage ? `<td>${esc(p.details?.iin ?? '')}</td>` : '';
  return `<tr data-person="${esc(p.id)}" data-status="${esc(p.status)}"><td>${esc(p.name)}</td>${iin}<td>${esc(p.details?.birthDate ?? '')}</td><td>${guardians}</td><td>${status}</td><td>${actions}${enrol}</td></tr>`;
}

async function classPeoplePage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, message: string | null = null): Promise<FastifyReply> {
  const { group } = groupParams.parse(request.params);
  const subject = `class:${group}`;
  const account = accountOf(request);
  if (!canSeeClass(account, group)) await forbid(ctx, request, subject);
  const t = tp(request);
  const pupils = await ctx.people.classList(await ctx.store.rosterPeople(), group);
  if (pupils.length === 0 && !can(account.role, 'people.manage')) throw new HubError(404, 'not_found', 'no such class');
  const manage = can(account.role, 'people.manage');
  const csrf = csrfField(reply);
  const photos = canEnrol(account, group) ? enrolCatalog(languageOf(request)).photos : null;
  const consent = can(account.role, 'privacy.manage') ? privacyCatalog(languageOf(request)).consent : null;
  const head = `<th scope="col">${esc(t.people)}</th>${manage ? `<th scope="col">${esc(t.iin)}</th>` : ''}<th scope="col">${esc(t.birthDate)}</th><th scope="col">${esc(t.guardians)}</th><th scope="col"></th><th scope="col"></th>`;
  const month = new Date(ctx.now() + ctx.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 7);
  const registerLink = `<p class="actions"><a id="register-xlsx" href="/console/classes/${encodeURIComponent(group)}/register?month=${month}&amp;format=xlsx">${esc(t.register)} (XLSX)</a> · <a id="register-csv" href="/console/classes/${encodeURIComponent(group)}/register?month=${month}&amp;format=csv">CSV</a></p>`;
  await audit(ctx, request, 'view.people', subject, { pupils: pupils.length });
  const body = notice(message, true) + registerLink + `<table id="people"><thead><tr>${head}</tr></thead><tbody>${pupils.map((p) => pupilRow(p, t, manage, csrf, photos, consent)).join('')}</tbody></table>`;
  return sendPage(request, reply, `${t.people}: ${group}`, raw(body));
}

async function peopleIndex(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const account = accountOf(request);
  if (account.role === 'class_teacher' && account.className) return reply.redirect(`/console/people/classes/${encodeURIComponent(account.className)}`);
  await requireCapability(ctx, request, 'people.manage', 'people');
  const t = tp(request);
  const counts = new Map<string, number>();
  for (const p of await ctx.store.rosterPeople()) if (p.role === 'student' && p.group) counts.set(p.group, (counts.get(p.group) ?? 0) + 1);
  const rows = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'kk', { numeric: true }))
    .map(([group, n]) => `<tr data-class="${esc(group)}"><th scope="row"><a href="/console/people/classes/${encodeURIComponent(group)}">${esc(group)}</a></th><td class="num">${n}</td></tr>`)
    .join('');
  await audit(ctx, request, 'view.people.classes', 'people', { classes: counts.size });
  const body = `<p class="actions"><a href="/console/people/new">${esc(t.newPupil)}</a> · <a href="/console/people/import">${esc(t.importList)}</a></p><table id="classes"><tbody>${rows}</tbody></table>`;
  return sendPage(request, reply, t.people, raw(body));
}

function personFormHtml(t: PeopleCatalog, reply: FastifyReply, action: string, values: Partial<Record<'iin' | 'surname' | 'name' | 'patronymic' | 'group', string>>, problems: string[]): string {
  const field = (name: keyof typeof values, label: string, extra = ''): string => `<label>${esc(label)}<input name="${name}" value="${esc(values[name] ?? '')}" ${extra}></label>`;
  return (
    (problems.length > 0 ? `<ul class="error" role="alert">${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '') +
    `<form method="post" action="${esc(action)}" class="card">${csrfField(reply)}` +
    field('iin', t.iin, 'required inputmode="numeric" maxlength="12"') + field('surname', t.surname, 'required maxlength="80"') + field('name', t.givenName, 'required maxlength="80"') +
    field('patronymic', t.patronymic, 'maxlength="80"') + field('group', 'Class / Сынып / Класс', 'required maxlength="8"') +
    `<button type="submit">${esc(t.save)}</button></form>`
  );
}

/** The form's fields checked with the import's rules; problems in the reader's language. */
function checkForm(body: unknown, t: PeopleCatalog): { input: PersonInput | null; values: Record<string, string>; problems: string[] } {
  const form = personForm.safeParse(body);
  if (!form.success) return { input: null, values: {}, problems: ['invalid_form'] };
  const v = form.data;
  const problems: string[] = [];
  const iin = parseIin(v.iin);
  if (!iin.ok) problems.push(problemText(t, iin.problem));
  const group = normaliseClass(v.group);
  if (group === null) problems.push(problemText(t, 'class_invalid'));
  const clean = (s: string): string => s.trim().replace(/\s+/g, ' ');
  if (clean(v.surname) === '' || clean(v.surname).length > 80) problems.push(problemText(t, 'surname_missing'));
  if (clean(v.name) === '' || clean(v.name).length > 80) problems.push(problemText(t, 'name_missing'));
  if (problems.length > 0 || !iin.ok || group === null) return { input: null, values: v, problems };
  return { input: { iin: iin.iin, birthDate: iin.birthDate, surname: clean(v.surname), name: clean(v.name), patronymic: clean(v.patronymic).slice(0, 80) || null, group, guardians: [] }, values: v, problems };
}

async function savePerson(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, id: string | null): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'people.manage', id ? `person:${id}` : 'people');
  const t = tp(request);
  const checked = checkForm(request.body, t);
  const action = id ? `/console/people/${id}` : '/console/people';
  const result = checked.input ? await ctx.people.savePupil(id, checked.input, ctx.now()) : null;
  if (result?.ok === false && result.problem === 'not_found') throw new HubError(404, 'not_found', 'no such person');
  if (!result?.ok) {
    const problems = result ? [problemText(t, 'iin_taken')] : checked.problems;
    await audit(ctx, request, id ? 'person.edit.refused' : 'person.create.refused', id ? `person:${id}` : null, { problems: result ? ['iin_taken'] : checked.problems.length });
    return sendPage(request, reply, id ? t.edit : t.newPupil, raw(personFormHtml(t, reply, action, checked.values, problems)), 400);
  }
  await audit(ctx, request, id ? 'person.edit' : 'person.create', `person:${result.id}`, { group: checked.input?.group, cursor: result.cursor });
  return reply.redirect(`/console/people/classes/${encodeURIComponent(checked.input?.group ?? '')}?saved=1`, 303);
}

async function editPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id } = idParams.parse(request.params);
  await requireCapability(ctx, request, 'people.manage', `person:${id}`);
  const person = await ctx.people.person(id);
  if (!person) throw new HubError(404, 'not_found', 'no such person');
  const t = tp(request);
  const d = person.details;
  await audit(ctx, request, 'view.person', `person:${id}`);
  const values = { iin: d?.iin ?? '', surname: d?.surname ?? '', name: d?.givenName ?? person.name, patronymic: d?.patronymic ?? '', group: person.group ?? '' };
  const guardians = person.guardians.length > 0 ? `<h3>${esc(t.guardians)}</h3><ul id="guardians">${person.guardians.map((g) => `<li>${esc(g.name)} ${esc(g.phone)}</li>`).join('')}</ul>` : '';
  return sendPage(request, reply, `${t.edit}: ${person.name}`, raw(personFormHtml(t, reply, `/console/people/${id}`, values, []) + guardians));
}

async function setStatus(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, status: 'active' | 'blocked'): Promise<FastifyReply> {
  const { id } = idParams.parse(request.params);
  await requireCapability(ctx, request, 'people.manage', `person:${id}`);
  const person = await ctx.people.person(id);
  const cursor = person ? await ctx.people.setStatus(id, status) : null;
  if (!person || cursor === null) throw new HubError(404, 'not_found', 'no such person');
  await audit(ctx, request, status === 'blocked' ? 'person.block' : 'person.unblock', `person:${id}`, { cursor });
  return reply.redirect(`/console/people/classes/${encodeURIComponent(person.group ?? '')}?saved=1`, 303);
}

export function registerPeoplePages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/people', (request, reply) => peopleIndex(ctx, request, reply));
  scope.get('/people/classes/:group', (request, reply) => {
    const saved = (request.query as { saved?: string }).saved === '1';
    return classPeoplePage(ctx, request, reply, saved ? tp(request).saved : null);
  });
  scope.get('/people/new', async (request, reply) => {
    await requireCapability(ctx, request, 'people.manage', 'people');
    return sendPage(request, reply, tp(request).newPupil, raw(personFormHtml(tp(request), reply, '/console/people', {}, [])));
  });
  scope.post('/people', (request, reply) => savePerson(ctx, request, reply, null));
  scope.get('/people/:id/edit', (request, reply) => editPage(ctx, request, reply));
  scope.post('/people/:id', (request, reply) => savePerson(ctx, request, reply, idParams.parse(request.params).id));
  scope.post('/people/:id/block', (request, reply) => setStatus(ctx, request, reply, 'blocked'));
  scope.post('/people/:id/unblock', (request, reply) => setStatus(ctx, request, reply, 'active'));
}
