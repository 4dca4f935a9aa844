// The class-list upload: a file input (multipart, one file, bounded) checked whole by
// class-import.ts before anything is written. A file with bad rows imports nothing and lists every
// bad row by line with its problems, unless the director ticks "skip bad rows"; then the good rows
// go into the roster in one write and the bad ones are still listed. @fastify/multipart lives in a
// child scope holding only this route, so no other console route accepts multipart bodies; the
// Origin and session checks (onRequest) run before the upload is read, the CSRF token after.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MAX_IMPORT_BYTES, parseClassListBytes, type RowError } from './class-import.js';
import { audit, sendPage, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { problemText, type PeopleCatalog } from './people-messages.js';
import { tp } from './people-pages.js';
import { requireCapability } from './pages.js';

/** On screen at most this many bad rows; the count says how many there were. */
const ERRORS_ON_SCREEN = 1000;

const uploadBody = z.object({
  file: z.instanceof(Buffer),
  skipBad: z.string().max(8).optional(),
});

function importForm(t: PeopleCatalog, reply: FastifyReply): string {
  // The CSRF token is a field of the multipart body: checked in preHandler, once the bounded upload is in.
  return (
    `<form method="post" action="/console/people/import" enctype="multipart/form-data" class="card" id="import-form">` +
    `<input type="hidden" name="_csrf" value="${esc(reply.generateCsrf())}">` +
    `<label>${esc(t.csvFile)}<input type="file" name="file" accept=".csv,text/csv" required></label>` +
    `<label class="check"><input type="checkbox" name="skipBad" value="1"> ${esc(t.skipBad)}</label>` +
    `<button type="submit">${esc(t.upload)}</button></form>`
  );
}

function errorTable(t: PeopleCatalog, errors: readonly RowError[]): string {
  const rows = errors
    .slice(0, ERRORS_ON_SCREEN)
    .map((e) => `<tr data-line="${e.line}"><td class="num">${e.line}</td><td>${e.problems.map((p) => esc(problemText(t, p))).join('; ')}</td></tr>`)
    .join('');
  return `<table id="import-errors" data-count="${errors.length}"><thead><tr><th scope="col" class="num">${esc(t.line)}</th><th scope="col">${esc(t.problem)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function importUpload(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'people.manage', 'people');
  const t = tp(request);
  const body = uploadBody.safeParse(request.body);
  const page = (html: string, status: number): FastifyReply => sendPage(request, reply, t.importList, raw(html + importForm(t, reply)), status);
  if (!body.success) return page(`<p class="error" role="alert">${esc(t.fileProblem)} ${esc(problemText(t, 'empty'))}</p>`, 400);
  const skipBad = body.data.skipBad === '1';
  const result = parseClassListBytes(body.data.file);
  if (!result.ok) {
    await audit(ctx, request, 'people.import.refused', 'people', { problem: result.fileProblem, line: result.line });
    return page(`<p class="error" role="alert" id="file-problem">${esc(t.fileProblem)} ${esc(problemText(t, result.fileProblem))}${result.line > 0 ? ` (${esc(t.line)} ${result.line})` : ''}</p>`, 400);
  }
  const { rows, errors } = result;
  if (errors.length > 0 && !skipBad) {
    await audit(ctx, request, 'people.import.refused', 'people', { rows: rows.length, errors: errors.length, lines: errors.slice(0, 100).map((e) => e.line) });
    return page(`<p class="error" role="alert" id="import-refused">${esc(t.importErrors)}</p>${errorTable(t, errors)}`, 422);
  }
  const cursor = rows.length > 0 ? await ctx.people.importPupils(rows, ctx.now()) : null;
  const groups = [...new Set(rows.map((r) => r.group))].sort((a, b) => a.localeCompare(b, 'kk', { numeric: true }));
  await audit(ctx, request, 'people.import', 'people', { imported: rows.length, skipped: errors.length, classes: groups, cursor, skippedLines: errors.slice(0, 100).map((e) => e.line) });
  const summary = t.imported.replace('{n}', String(rows.length)).replace('{m}', String(errors.length));
  const links = groups.map((g) => `<a href="/console/people/classes/${encodeURIComponent(g)}">${esc(g)}</a>`).join(' · ');
  return page(`<p class="notice" role="status" id="import-done" data-imported="${rows.length}" data-skipped="${errors.length}">${esc(summary)}</p><p>${links}</p>${errors.length > 0 ? errorTable(t, errors) : ''}`, 200);
}

export async function registerImportPage(scope: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  scope.get('/people/import', async (request, reply) => {
    await requireCapability(ctx, request, 'people.manage', 'people');
    return sendPage(request, reply, tp(request).importList, raw(importForm(tp(request), reply)));
  });
  await scope.register(async (upload) => {
    await upload.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 4, parts: 6, fieldSize: 1024 } });
    upload.post('/people/import', { bodyLimit: MAX_IMPORT_BYTES + 64 * 1024 }, (request, reply) => importUpload(ctx, request, reply));
  });
}
