// The catalogue upload in the console: one CSV file through a file input, checked and written by
// the library's own import (hub/library importCatalogue: every bad row reported by the line it
// starts on; a file with bad rows writes nothing unless "skip the bad rows" is ticked), so the
// console and the admin API cannot disagree. As with the class-list import, @fastify/multipart
// lives in a child scope holding only this route, in memory, bounded; Origin and session are
// checked in onRequest before the upload is read, the capability before it is parsed, the CSRF
// token after. The librarian and the director (library.manage); every upload is audited.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { importCatalogue, MAX_IMPORT_BYTES, type RowError } from '../library/index.js';
import { ti } from './chart-page.js';
import { audit, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import type { InsightCatalog } from './insight-messages.js';
import { forbid } from './pages.js';
import { can } from './roles.js';

const ERRORS_ON_SCREEN = 1000;

const uploadBody = z.object({ file: z.instanceof(Buffer), skipBad: z.string().max(8).optional() });

function uploadForm(i: InsightCatalog, reply: FastifyReply): string {
  return (
    `<form method="post" action="/console/library/import" enctype="multipart/form-data" class="card" id="catalogue-form">` +
    `<input type="hidden" name="_csrf" value="${esc(reply.generateCsrf())}">` +
    `<label>${esc(i.catalogueFile)}<input type="file" name="file" accept=".csv,text/csv" required></label>` +
    `<label class="check"><input type="checkbox" name="skipBad" value="1"> ${esc(i.skipBad)}</label>` +
    `<button type="submit">${esc(i.upload)}</button></form>`
  );
}

function errorTable(i: InsightCatalog, errors: readonly RowError[]): string {
  const rows = errors.slice(0, ERRORS_ON_SCREEN).map((e) => `<tr data-line="${e.line}"><td class="num">${e.line}</td><td>${esc(e.message)}</td></tr>`).join('');
  return `<table id="catalogue-errors" data-count="${errors.length}"><thead><tr><th scope="col" class="num">${esc(i.line)}</th><th scope="col">${esc(i.problem)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The capability before a byte of the upload is read: onRequest, like the class-list import's session check. */
async function guard(ctx: ConsoleContext, request: FastifyRequest): Promise<void> {
  const account = request.consoleAccount;
  if (account && !can(account.role, 'library.manage')) await forbid(ctx, request, 'library');
  if (!ctx.library) throw new HubError(404, 'not_found', 'this hub serves no library');
}

async function upload(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const library = ctx.library;
  if (!library) throw new HubError(404, 'not_found', 'this hub serves no library');
  const i = ti(request);
  const page = (html: string, status: number): FastifyReply => sendPage(request, reply, i.catalogueUpload, raw(html + uploadForm(i, reply)), status);
  const body = uploadBody.safeParse(request.body);
  if (!body.success) return page(`<p class="error" role="alert">${esc(i.noFile)}</p>`, 400);
  // The library's CSV is UTF-8; a Windows-1251 file is refused rather than written garbled.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body.data.file);
  } catch {
    return page(`<p class="error" role="alert" id="catalogue-encoding">${esc(i.noFile)} (UTF-8)</p>`, 400);
  }
  const result = await importCatalogue(library.store, text.replace(/^\uFEFF/, ''), { skipBadRows: body.data.skipBad === '1', dryRun: false }, ctx.now());
  const lines = result.errors.slice(0, 100).map((e) => e.line);
  await audit(ctx, request, result.imported ? 'library.import' : 'library.import.refused', 'library', { rows: result.rows, copies: result.copies, titles: result.titles, errors: result.errors.length, lines });
  if (!result.imported && result.errors.length > 0) return page(`<p class="error" role="alert" id="catalogue-refused">${esc(i.importRefused)}</p>${errorTable(i, result.errors)}`, 422);
  const summary = i.imported.replace('{n}', String(result.copies)).replace('{t}', String(result.titles)).replace('{m}', String(result.errors.length));
  return page(`<p class="notice" role="status" id="catalogue-done" data-copies="${result.copies}" data-skipped="${result.errors.length}">${esc(summary)}</p>${result.errors.length > 0 ? errorTable(i, result.errors) : ''}`, 200);
}

export async function registerLibraryImportPage(scope: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  scope.get('/library/import', { onRequest: (request) => guard(ctx, request) }, (request, reply) => sendPage(request, reply, ti(request).catalogueUpload, raw(uploadForm(ti(request), reply))));
  await scope.register(async (child) => {
    await child.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 4, parts: 6, fieldSize: 1024 } });
    child.post('/library/import', { bodyLimit: MAX_IMPORT_BYTES + 64 * 1024, onRequest: (request) => guard(ctx, request) }, (request, reply) => upload(ctx, request, reply));
  });
}
