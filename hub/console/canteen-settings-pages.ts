// The canteen's settings in the console (capability canteen.manage): the menu document shown as a
// table and edited as the JSON the tills read, checked by the tills' own schema before it is saved
// (a bad one is shown back with the field named, nothing saved); the free-meal register listed, and
// its CSV uploaded through the same import the admin API uses (importRegister: every bad line named,
// nothing written unless "skip the bad ones"). Multipart lives in a child scope holding only the
// upload route, as on the class-list page; the CSRF token is a field of the upload.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError, z } from 'zod';
import { canteenFileSchema } from '../../protocol/index.js';
import type { RegisterImportResult } from '../canteen/index.js';
import { describeZod } from '../errors.js';
import type { CanteenCatalog } from './canteen-messages.js';
import { notice, problem, tc, type ConsoleCanteen } from './canteen-pages.js';
import { audit, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { requireCapability } from './pages.js';

const ERRORS_ON_SCREEN = 1000;
const menuBody = z.object({ document: z.string().max(15 * 1024) });
const uploadBody = z.object({ file: z.instanceof(Buffer), replace: z.string().max(8).optional(), skipBad: z.string().max(8).optional() });

function menuForm(t: CanteenCatalog, csrf: string, document: string): string {
  return (
    `<form method="post" action="/console/canteen/menu" class="card" id="menu-form"><input type="hidden" name="_csrf" value="${esc(csrf)}">` +
    `<label>${esc(t.menuDocument)}<textarea name="document" rows="16" cols="80" spellcheck="false">${esc(document)}</textarea></label>` +
    `<button type="submit">${esc(t.save)}</button></form>`
  );
}

async function menuPage(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply, status: { html: string; code: number; document?: string } = { html: '', code: 200 }): Promise<FastifyReply> {
  const t = tc(request);
  const menu = await canteen.settings.menu();
  const table = menu === null
    ? `<p id="menu-unset">${esc(t.menuNotSet)}</p>`
    : `<table id="menu"><thead><tr><th scope="col">${esc(t.item)}</th><th scope="col">${esc(t.kind)}</th><th scope="col" class="num">${esc(t.price)}</th><th scope="col">${esc(t.periods)}</th></tr></thead><tbody>` +
      menu.menu.map((item) => `<tr data-item="${esc(item.id)}"><td>${esc(item.name)}</td><td>${esc(item.kind)}${item.freeEligible ? ` · ${esc(t.free)}` : ''}</td><td class="num">${canteen.kit.tenge(item.priceTiyn)}</td><td>${esc(item.periods.join(', '))}</td></tr>`).join('') +
      '</tbody></table>';
  const document = status.document ?? (menu === null ? '' : JSON.stringify(menu, null, 2));
  return sendPage(request, reply, t.menu, raw(status.html + table + menuForm(t, reply.generateCsrf(), document)), status.code);
}

async function saveMenu(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.manage', 'canteen.menu');
  const t = tc(request);
  const body = menuBody.safeParse(request.body ?? {});
  const document = body.success ? body.data.document : '';
  let reason: string;
  try {
    const menu = canteenFileSchema.parse(JSON.parse(document));
    await canteen.settings.setMenu(menu, ctx.now());
    await audit(ctx, request, 'canteen.menu.save', 'canteen.menu', { periods: menu.periods.length, items: menu.menu.length });
    return await menuPage(ctx, canteen, request, reply, { html: notice(t.menuSaved, 'menu-saved'), code: 200 });
  } catch (error) {
    if (error instanceof ZodError) reason = describeZod(error);
    else if (error instanceof SyntaxError) reason = error.message;
    else throw error;
  }
  await audit(ctx, request, 'canteen.menu.refused', 'canteen.menu', { problem: reason.slice(0, 300) });
  return menuPage(ctx, canteen, request, reply, { html: problem(t.menuInvalid.replace('{problem}', reason), 'menu-problem'), code: 400, document });
}

function uploadForm(t: CanteenCatalog, csrf: string): string {
  return (
    `<form method="post" action="/console/canteen/register" enctype="multipart/form-data" class="card" id="register-form">` +
    `<input type="hidden" name="_csrf" value="${esc(csrf)}">` +
    `<label>${esc(t.csvFile)}<input type="file" name="file" accept=".csv,text/csv" required></label>` +
    `<label class="check"><input type="checkbox" name="replace" value="1"> ${esc(t.replace)}</label>` +
    `<label class="check"><input type="checkbox" name="skipBad" value="1"> ${esc(t.skipBad)}</label>` +
    `<button type="submit">${esc(t.upload)}</button></form>`
  );
}

function importOutcome(t: CanteenCatalog, result: RegisterImportResult): string {
  const errors = result.errors.slice(0, ERRORS_ON_SCREEN).map((e) => `<tr data-line="${e.line}"><td class="num">${e.line}</td><td>${esc(e.message)}</td></tr>`).join('');
  const table = result.errors.length === 0 ? '' : `<table id="register-errors" data-count="${result.errors.length}"><thead><tr><th scope="col" class="num">${esc(t.line)}</th><th scope="col">${esc(t.problem)}</th></tr></thead><tbody>${errors}</tbody></table>`;
  const head = result.imported
    ? notice(t.imported.replace('{n}', String(result.entries)).replace('{m}', String(result.errors.length)), 'register-imported')
    : problem(t.importRefused, 'register-refused');
  return head + table;
}

async function registerPage(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply, status: { html: string; code: number } = { html: '', code: 200 }): Promise<FastifyReply> {
  const t = tc(request);
  const { entries } = await canteen.settings.register(null);
  await audit(ctx, request, 'view.canteen.register', 'canteen.register', { entries: entries.length });
  const rows = entries.map((e) => `<tr data-person="${esc(e.personId)}"><td>${esc(e.personId)}</td><td>${esc(e.category)}</td><td>${esc(e.validFrom ?? '')}</td><td>${esc(e.validTo ?? '')}</td><td>${esc(e.periods.join(', '))}</td></tr>`).join('');
  const table = entries.length === 0
    ? `<p id="register-empty">${esc(t.emptyRegister)}</p>`
    : `<table id="register"><thead><tr><th scope="col">${esc(t.child)}</th><th scope="col">${esc(t.category)}</th><th scope="col">${esc(t.validFrom)}</th><th scope="col">${esc(t.validTo)}</th><th scope="col">${esc(t.periods)}</th></tr></thead><tbody>${rows}</tbody></table>`;
  return sendPage(request, reply, t.register, raw(status.html + uploadForm(t, reply.generateCsrf()) + table), status.code);
}

async function uploadRegister(ctx: ConsoleContext, canteen: ConsoleCanteen, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'canteen.manage', 'canteen.register');
  const body = uploadBody.safeParse(request.body);
  if (!body.success) return registerPage(ctx, canteen, request, reply, { html: problem(tc(request).csvFile, 'register-problem'), code: 400 });
  const options = { skipBad: body.data.skipBad === '1', replace: body.data.replace === '1', dryRun: false };
  const result = await canteen.kit.importRegister(canteen.settings, canteen.storage, body.data.file.toString('utf8'), options, ctx.now());
  await audit(ctx, request, result.imported ? 'canteen.register.import' : 'canteen.register.refused', 'canteen.register', {
    ...options, rows: result.rows, entries: result.entries, errors: result.errors.length, lines: result.errors.slice(0, 100).map((e) => e.line),
  });
  return registerPage(ctx, canteen, request, reply, { html: importOutcome(tc(request), result), code: result.imported || result.errors.length === 0 ? 200 : 422 });
}

export async function registerCanteenSettingsPages(scope: FastifyInstance, ctx: ConsoleContext, canteen: ConsoleCanteen): Promise<void> {
  scope.get('/canteen/menu', async (request, reply) => {
    await requireCapability(ctx, request, 'canteen.manage', 'canteen.menu');
    await audit(ctx, request, 'view.canteen.menu', 'canteen.menu');
    return menuPage(ctx, canteen, request, reply);
  });
  scope.post('/canteen/menu', (request, reply) => saveMenu(ctx, canteen, request, reply));
  scope.get('/canteen/register', async (request, reply) => {
    await requireCapability(ctx, request, 'canteen.manage', 'canteen.register');
    return registerPage(ctx, canteen, request, reply);
  });
  await scope.register(async (upload) => {
    await upload.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: canteen.kit.maxRegisterBytes, files: 1, fields: 4, parts: 6, fieldSize: 1024 } });
    upload.post('/canteen/register', { bodyLimit: canteen.kit.maxRegisterBytes + 64 * 1024 }, (request, reply) => uploadRegister(ctx, canteen, request, reply));
  });
}
