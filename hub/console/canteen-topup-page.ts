// The cashier's top-up (capability canteen.topup): a form for a child, an amount in tenge and the
// receipt number. The transfer id is made when the form is rendered and travels in a hidden field,
// so a double click, a browser's resubmission or a retry after a lost answer carries the same id and
// the ledger applies it once (the second is a duplicate, shown as such). After a top-up the browser
// is redirected (303) to the child's statement, so a reload repeats nothing. A mistake is reversed by
// a correction transfer naming the original (CanteenTopUps.reverse), never edited. All audited.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TransferResult } from '../canteen/index.js';
import { HubError } from '../errors.js';
import type { CanteenCatalog } from './canteen-messages.js';
import { childOf, childrenList, personIdField, problem, tc, type ConsoleCanteen } from './canteen-pages.js';
import { audit, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { requireCapability } from './pages.js';

/** At most 10 million tenge in one top-up: a typo of extra zeros is refused, not posted. */
const MAX_TOP_UP_TIYN = 1_000_000_000;
const consoleTransferId = z.string().regex(/^console:[0-9a-f-]{36}$/);
const topUpBody = z.object({
  transferId: consoleTransferId,
  person: z.string().max(200),
  amount: z.string().max(32),
  reference: z.string().trim().max(200).default(''),
});
const reverseBody = z.object({ transferId: z.string().max(200), person: personIdField, note: z.string().trim().max(500).default('') });

/** "1500", "1 500,50", "1500.5" tenge to integer tiyn, without floating point; null for anything else. */
export function tiynOf(amount: string): number | null {
  const match = /^(\d{1,8})(?:[.,](\d{1,2}))?$/.exec(amount.replace(/[\s\u00a0]/g, ''));
  if (!match) return null;
  const tiyn = Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
  return tiyn > 0 && tiyn <= MAX_TOP_UP_TIYN ? tiyn : null;
}

interface FormState {
  transferId: string;
  person: string;
  amount: string;
  reference: string;
}

function topUpForm(t: CanteenCatalog, csrf: string, state: FormState, children: string): string {
  return (
    `<form method="post" action="/console/canteen/topup" class="card" id="topup-form"><input type="hidden" name="_csrf" value="${esc(csrf)}">` +
    `<input type="hidden" name="transferId" value="${esc(state.transferId)}">` +
    `<label>${esc(t.child)} <input name="person" required maxlength="128" value="${esc(state.person)}" list="children"></label>${children}` +
    `<label>${esc(t.amount)} <input name="amount" required inputmode="decimal" maxlength="16" value="${esc(state.amount)}"></label>` +
    `<label>${esc(t.reference)} <input name="reference" maxlength="200" value="${esc(state.reference)}"></label>` +
    `<button type="submit">${esc(t.topUp)}</button></form>`
  );
}

async function formPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.topup', 'canteen.topup');
  const person = z.object({ person: z.string().max(128).default('') }).safeParse(request.query);
  const t = tc(request);
  // The id is fixed now, before anything is sent: every submission of this form is the same transfer.
  const state = { transferId: `console:${randomUUID()}`, person: person.success ? person.data.person : '', amount: '', reference: '' };
  return sendPage(request, reply, t.topUp, raw(topUpForm(t, reply.generateCsrf(), state, await childrenList(ctx))));
}

function refusal(t: CanteenCatalog, error: unknown): { text: string; status: number } {
  // The ledger's refusals are HubErrors with its code (LedgerError): matched by code, not class.
  if (error instanceof HubError && error.code === 'exceeds_floor') return { text: t.exceedsFloor, status: 409 };
  if (error instanceof HubError && error.code === 'unknown_person') return { text: t.unknownChild, status: 422 };
  // The same form sent again with another child or amount: the first submission stands.
  if (error instanceof HubError && error.code === 'id_conflict') return { text: t.formConflict, status: 409 };
  throw error;
}

async function submitTopUp(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.topup', 'canteen.topup');
  const t = tc(request);
  const body = topUpBody.safeParse(request.body ?? {});
  if (!body.success) throw new HubError(400, 'invalid_form', 'the top-up form is incomplete');
  const state: FormState = { ...body.data, person: body.data.person.trim() };
  const children = await childrenList(ctx);
  const again = (text: string, status: number, id: string): FastifyReply => sendPage(request, reply, t.topUp, raw(problem(text, id) + topUpForm(t, reply.generateCsrf(), state, children)), status);
  const amountTiyn = tiynOf(state.amount);
  if (amountTiyn === null) return again(t.badAmount, 400, 'topup-problem');
  const person = personIdField.safeParse(state.person);
  if (!person.success || (await childOf(canteen.storage, person.data)) === null) return again(t.unknownChild, 422, 'topup-problem');
  let result: TransferResult;
  try {
    result = await canteen.topUps.topUp({ transferId: state.transferId, personId: person.data, amountTiyn, source: 'cashier', reference: state.reference || null, note: null });
  } catch (error) {
    const refused = refusal(t, error);
    return again(refused.text, refused.status, 'topup-problem');
  }
  await audit(ctx, request, 'canteen.topup', `person:${person.data}`, { transferId: state.transferId, amountTiyn, reference: state.reference, status: result.status });
  const done = result.status === 'applied' ? 'topup' : 'again';
  return reply.redirect(`/console/canteen/statement?person=${encodeURIComponent(person.data)}&done=${done}&transfer=${encodeURIComponent(state.transferId)}`, 303);
}

async function reverseTopUp(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.topup', 'canteen.topup');
  const t = tc(request);
  const body = reverseBody.safeParse(request.body ?? {});
  if (!body.success) throw new HubError(400, 'invalid_form', 'the reversal form is incomplete');
  const original = await canteen.topUps.transfer(body.data.transferId);
  // A top-up is reversed from the statement it was shown on: the person must be the one it credited.
  if (original === null || original.kind !== 'top_up' || original.creditAccountId !== canteen.kit.personAccount(body.data.person)) throw new HubError(404, 'not_found', 'no such top-up');
  let result: TransferResult;
  try {
    result = await canteen.topUps.reverse(original.id, body.data.note || null);
  } catch (error) {
    const refused = refusal(t, error);
    await audit(ctx, request, 'canteen.topup.reverse.refused', `person:${body.data.person}`, { transferId: original.id, reason: refused.text });
    return sendPage(request, reply, t.reverse, raw(problem(refused.text, 'reverse-problem')), refused.status);
  }
  await audit(ctx, request, 'canteen.topup.reverse', `person:${body.data.person}`, { transferId: original.id, reversalId: result.transfer.id, amountTiyn: original.amountTiyn, status: result.status });
  return reply.redirect(`/console/canteen/statement?person=${encodeURIComponent(body.data.person)}&done=reversed`, 303);
}

export function registerCanteenTopUpPage(scope: FastifyInstance, ctx: ConsoleContext, canteen: ConsoleCanteen): void {
  scope.get('/canteen/topup', (request, reply) => formPage(ctx, request, reply));
  scope.post('/canteen/topup', (request, reply) => submitTopUp(ctx, canteen, request, reply));
  scope.post('/canteen/reverse', (request, reply) => reverseTopUp(ctx, canteen, request, reply));
}
