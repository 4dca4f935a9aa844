// The ledger over HTTP, for the admin token (a cashier's console and a payment provider's webhook
// will sit in front of it): open an account, post a transfer (idempotent by its id), read a
// balance and a statement. The token is checked in onRequest, before a body is read; bodies are
// small and bounded. Amounts are JSON numbers that must be safe integers: 1.5, 1e21 or a number
// past 2^53 (which JSON.parse has already rounded) is refused, never rounded again.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tokenGuard } from '../admin-routes.js';
import type { HubAuth } from '../hub-auth.js';
import { ACCOUNT_KINDS, TRANSFER_KINDS, type CanteenLedger } from './ledger-types.js';
import type { MealStore } from './meal-store.js';
import { freeMealCsv, freeMealReport, freeMealXlsx } from './reports.js';
import type { HubStorage } from '../storage.js';
import { HubError } from '../errors.js';

export interface LedgerRouteOptions {
  ledger: CanteenLedger;
  /** The tills' folded meals and their flags (double free meals, refused charges): served when given. */
  meals?: MealStore;
  /** For the reports' names and classes (the roster). */
  storage?: HubStorage;
  auth: HubAuth;
  adminToken: string;
  now: () => number;
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const reportQuery = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/), format: z.enum(['json', 'csv', 'xlsx']).default('json') });

/** A transfer or account is a few hundred bytes; anything much larger is not one. */
const BODY_LIMIT = 8 * 1024;
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const tiyn = z.number().refine((n) => Number.isSafeInteger(n), 'must be a safe integer number of tiyn');
const text = z.string().max(512).nullable().default(null);

const transferBody = z.strictObject({
  id,
  debitAccountId: id,
  creditAccountId: id,
  amountTiyn: tiyn.refine((n) => n > 0, 'must be positive'),
  kind: z.enum(TRANSFER_KINDS),
  offlineCharge: z.boolean().default(false),
  reference: text,
  note: text,
});

const accountBody = z.strictObject({
  id,
  kind: z.enum(ACCOUNT_KINDS),
  personId: id.nullable().default(null),
  floorTiyn: tiyn.nullable(),
});

const statementQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function registerLedgerRoutes(app: FastifyInstance, options: LedgerRouteOptions): void {
  const { ledger, now } = options;
  const onRequest = tokenGuard(options.auth, [options.adminToken]);

  app.post('/v1/admin/canteen/accounts', { onRequest, bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const result = await ledger.openAccount(accountBody.parse(request.body), now());
    return reply.code(result.status === 'created' ? 201 : 200).send(result);
  });

  // 201 when applied, 200 for a replay: a client that lost the first answer sends the same id again.
  app.post('/v1/admin/canteen/transfers', { onRequest, bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const result = await ledger.apply(transferBody.parse(request.body), now());
    return reply.code(result.status === 'applied' ? 201 : 200).send(result);
  });

  app.get('/v1/admin/canteen/transfers/:id', { onRequest }, async (request) => {
    const params = z.object({ id }).parse(request.params);
    const transfer = await ledger.transfer(params.id);
    if (!transfer) throw new HubError(404, 'not_found', `no transfer ${params.id}`);
    return transfer;
  });

  app.get('/v1/admin/canteen/accounts/:id', { onRequest }, async (request) => {
    const params = z.object({ id }).parse(request.params);
    const account = await ledger.account(params.id);
    if (!account) throw new HubError(404, 'not_found', `no account ${params.id}`);
    return account;
  });

  app.get('/v1/admin/canteen/accounts/:id/statement', { onRequest }, async (request) => {
    const params = z.object({ id }).parse(request.params);
    const query = statementQuery.parse(request.query);
    const page = await ledger.statement(params.id, query.after, query.limit);
    if (!page) throw new HubError(404, 'not_found', `no account ${params.id}`);
    return page;
  });

  const meals = options.meals;
  if (meals === undefined) return;
  // The canteen manager's list of what the fold flagged, oldest first, paged by flag id.
  app.get('/v1/admin/canteen/meal-flags', { onRequest }, async (request) => {
    const query = statementQuery.parse(request.query);
    const flags = await meals.flags(query.after, query.limit);
    return { flags, next: flags.at(-1)?.id ?? query.after, more: flags.length === query.limit };
  });
  app.get('/v1/admin/canteen/meals/:personId', { onRequest }, async (request) => ({ meals: await meals.meals(z.object({ personId: id }).parse(request.params).personId) }));
  const storage = options.storage;
  if (storage === undefined) return;
  // The monthly free-meal report (by the 5th: name, class, category, quantity, cost) and a day's counts.
  app.get('/v1/admin/canteen/reports/free-meals', { onRequest }, async (request, reply) => {
    const query = reportQuery.parse(request.query);
    const report = await freeMealReport(meals, storage, query.month);
    const file = `free-meals-${query.month}`;
    if (query.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(freeMealCsv(report));
    if (query.format === 'xlsx') return reply.type(XLSX_TYPE).header('content-disposition', `attachment; filename="${file}.xlsx"`).send(await freeMealXlsx(report));
    return report;
  });
  app.get('/v1/admin/canteen/reports/day', { onRequest }, async (request) => {
    const { day } = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).parse(request.query);
    return { day, periods: await meals.dayCounts(day) };
  });
}
