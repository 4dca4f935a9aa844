// A pupil's consent page: /console/people/:id/consent. The state of each purpose, the history of
// records (append-only: consent.ts), a form to record a grant or a withdrawal by a guardian linked to
// the pupil, and, for each record that changed the roster, every device's acknowledgement of it (a
// withdrawal's purge is done on a device once its pull has reached the record's cursor). Directors
// only ('privacy.manage'); every view, record and refusal is an audit record on the pupil.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { audit, languageOf, sendPage, type ConsoleContext } from './context.js';
import { consentChannels, consentPurposes, type ConsentRecord } from './consent-store.js';
import type { DeviceAcks, NewConsent, PurposeState } from './consent.js';
import { esc, raw } from './html.js';
import { requireCapability } from './pages.js';
import type { GuardianRecord } from './people-store.js';
import type { PersonView } from './people.js';
import { fill, privacyCatalog, type PrivacyCatalog } from './privacy-messages.js';

const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/) });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)));
const recordChannels = consentChannels.filter((c): c is NewConsent['channel'] => c !== 'term_expired');
const consentForm = z.object({
  action: z.enum(['grant', 'withdraw']),
  guardianId: z.string().min(1).max(64),
  channel: z.enum(recordChannels as [NewConsent['channel'], ...NewConsent['channel'][]]),
  purposes: z.union([z.enum(consentPurposes), z.array(z.enum(consentPurposes)).max(consentPurposes.length)]).optional(),
  givenOn: day,
  until: z.union([z.literal(''), day]).default(''),
  note: z.string().max(500).default(''),
});

function tc(request: FastifyRequest): PrivacyCatalog {
  return privacyCatalog(languageOf(request));
}

function stateText(t: PrivacyCatalog, s: PurposeState, flag: boolean): string {
  if (s.unrecorded) return fill(t.st_unrecorded, { flag: flag ? t.yes : t.no });
  if (s.lapsed) return t.st_lapsed;
  return s.granted ? `${t.st_given}${s.until ? ` → ${s.until}` : ''}` : t.st_withdrawn;
}

function stateTable(t: PrivacyCatalog, states: Record<string, PurposeState>, flags: { identification: boolean; board: boolean }): string {
  const rows = consentPurposes.map((p) => {
    const s = states[p];
    if (!s) return '';
    const state = s.unrecorded ? 'unrecorded' : s.lapsed ? 'lapsed' : s.granted ? 'given' : 'withdrawn';
    // The parents' page and a kiosk erasure clear the flag without a record here: say so, not hide it.
    const mismatch = !s.unrecorded && s.granted !== flags[p] ? ` <span class="error" data-mismatch="true">${esc(fill(t.st_mismatch, { flag: flags[p] ? t.yes : t.no }))}</span>` : '';
    return `<tr data-purpose="${p}" data-state="${state}" data-flag="${flags[p]}"><th scope="row">${esc(t[`pu_${p}`])}</th><td>${esc(stateText(t, s, flags[p]))}${mismatch}</td></tr>`;
  });
  return `<h3>${esc(t.current)}</h3><table id="consent-state"><tbody>${rows.join('')}</tbody></table>`;
}

function ackList(t: PrivacyCatalog, acks: DeviceAcks): string {
  const items = acks.map((a) => {
    const text = a.done ? fill(t.ackDone, { cursor: a.ackedCursor ?? '', at: (a.ackedAt ?? '').slice(0, 16).replace('T', ' ') }) : t.ackWaiting;
    return `<li data-device="${esc(a.deviceId)}" data-done="${a.done}">${esc(a.deviceId)}: ${esc(text)}</li>`;
  });
  return `<ul class="acks">${items.join('')}</ul>`;
}

function historyTable(t: PrivacyCatalog, records: readonly ConsentRecord[], acks: ReadonlyMap<string, DeviceAcks>): string {
  const rows = records
    .map((r) => {
      const purge = r.rosterCursor === null ? '' : ackList(t, acks.get(r.id) ?? []);
      const purposes = r.purposes.map((p) => t[`pu_${p}`]).join(', ');
      return (
        `<tr data-record="${esc(r.id)}" data-action="${r.action}" data-channel="${r.channel}"><td>${esc(r.givenOn)}</td><td>${esc(r.action === 'grant' ? t.grant : t.withdraw)}</td>` +
        `<td>${esc(purposes)}</td><td>${esc(r.guardianName)}</td><td>${esc(t[`ch_${r.channel}`])}</td><td>${esc(r.until ?? '')}</td>` +
        `<td>${esc(r.recordedBy)} ${esc(new Date(r.recordedMs).toISOString().slice(0, 16).replace('T', ' '))}</td><td>${purge}</td></tr>`
      );
    })
    .join('');
  const head = [t.givenOn, t.action, t.purposes, t.guardian, t.channel, t.term, t.recordedBy, t.purge].map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  return `<h3>${esc(t.history)}</h3><table id="consent-history"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function formHtml(t: PrivacyCatalog, csrf: string, personId: string, guardians: readonly GuardianRecord[], today: string): string {
  if (guardians.length === 0) return `<p class="error" id="no-guardians">${esc(t.noGuardians)}</p>`;
  const options = (values: readonly string[], label: (v: string) => string): string => values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join('');
  const purposes = consentPurposes.map((p) => `<label class="check"><input type="checkbox" name="purposes" value="${p}"> ${esc(t[`pu_${p}`])}</label>`).join('');
  return (
    `<h3>${esc(t.recordConsent)}</h3><form method="post" action="/console/people/${esc(personId)}/consent" class="card" id="consent-form">` +
    `<input type="hidden" name="_csrf" value="${esc(csrf)}">` +
    `<label>${esc(t.action)}<select name="action"><option value="grant">${esc(t.grant)}</option><option value="withdraw">${esc(t.withdraw)}</option></select></label>` +
    `<label>${esc(t.guardian)}<select name="guardianId">${guardians.map((g) => `<option value="${esc(g.id)}">${esc(g.name)} ${esc(g.phone)}</option>`).join('')}</select></label>` +
    `<label>${esc(t.channel)}<select name="channel">${options(recordChannels, (c) => t[`ch_${c as NewConsent['channel']}`])}</select></label>` +
    `<fieldset><legend>${esc(t.purposes)}</legend>${purposes}</fieldset>` +
    `<label>${esc(t.givenOn)}<input type="date" name="givenOn" value="${esc(today)}" max="${esc(today)}" required></label>` +
    `<label>${esc(t.until)}<input type="date" name="until"></label>` +
    `<label>${esc(t.note)}<input name="note" maxlength="500"></label>` +
    `<button type="submit">${esc(t.save)}</button></form>`
  );
}

async function consentPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, message: { text: string; ok: boolean } | null, status = 200): Promise<FastifyReply> {
  const { id } = idParams.parse(request.params);
  await requireCapability(ctx, request, 'privacy.manage', `person:${id}`);
  // A term that ended since the last sweep is withdrawn before the page says anything about it.
  await ctx.consent.expireDue(id);
  const person: PersonView | null = await ctx.people.person(id);
  if (!person) throw new HubError(404, 'not_found', 'no such person');
  const flags = await ctx.consent.flags(id);
  const t = tc(request);
  const { records, states } = await ctx.consent.history(id);
  const acks = new Map<string, DeviceAcks>();
  for (const r of records) if (r.rosterCursor !== null) acks.set(r.id, await ctx.consent.acks(r.rosterCursor));
  await audit(ctx, request, 'view.consent', `person:${id}`, { records: records.length });
  const notice = message ? `<p class="${message.ok ? 'notice' : 'error'}" role="status" id="consent-message">${esc(message.text)}</p>` : '';
  const body = notice + stateTable(t, states, flags) + formHtml(t, reply.generateCsrf(), id, person.guardians, ctx.consent.today()) + historyTable(t, records, acks);
  return sendPage(request, reply, fill(t.consentFor, { name: person.name }), raw(body), status);
}

async function recordConsent(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id } = idParams.parse(request.params);
  await requireCapability(ctx, request, 'privacy.manage', `person:${id}`);
  const t = tc(request);
  const form = consentForm.safeParse(request.body);
  if (!form.success) {
    await audit(ctx, request, 'consent.refused', `person:${id}`, { problem: 'invalid' });
    return consentPage(ctx, request, reply, { text: t.cp_invalid, ok: false }, 400);
  }
  const f = form.data;
  const purposes = f.purposes === undefined ? [] : Array.isArray(f.purposes) ? [...new Set(f.purposes)] : [f.purposes];
  const username = request.consoleAccount?.username ?? '';
  const outcome = await ctx.consent.record({ childId: id, guardianId: f.guardianId, action: f.action, purposes, channel: f.channel, givenOn: f.givenOn, until: f.until === '' ? null : f.until, note: f.note }, username);
  if (!outcome.ok) {
    await audit(ctx, request, 'consent.refused', `person:${id}`, { problem: outcome.problem });
    if (outcome.problem === 'not_found') throw new HubError(404, 'not_found', 'no such person');
    return consentPage(ctx, request, reply, { text: t[`cp_${outcome.problem}`], ok: false }, 400);
  }
  const r = outcome.record;
  await audit(ctx, request, `consent.${r.action}`, `person:${id}`, { record: r.id, guardian: r.guardianId, purposes: r.purposes, channel: r.channel, givenOn: r.givenOn, until: r.until, cursor: r.rosterCursor });
  return reply.redirect(`/console/people/${encodeURIComponent(id)}/consent?saved=1`, 303);
}

export function registerConsentPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/people/:id/consent', (request, reply) => {
    const saved = (request.query as { saved?: string }).saved === '1';
    return consentPage(ctx, request, reply, saved ? { text: tc(request).recorded, ok: true } : null);
  });
  scope.post('/people/:id/consent', (request, reply) => recordConsent(ctx, request, reply));
}
