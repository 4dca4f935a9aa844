// The library's admin routes: catalogue import from CSV, a copy with its loans, open loans, and
// the flags the loan fold raised. The admin token is checked in onRequest, before a body is read;
// an import body is bounded (a school's catalogue of some 50,000 copies is a few MB of CSV) and
// parsed as text, never as JSON.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { wireId } from '../../protocol/index.js';
import { tokenGuard } from '../admin-routes.js';
import { HubError } from '../errors.js';
import type { HubAuth } from '../hub-auth.js';
import { authenticateDevice } from '../device-routes.js';
import type { HubStorage } from '../storage.js';
import { parseCatalogueCsv } from './csv.js';
import type { LoanFolder } from './folder.js';
import { libraryReport } from './reports.js';
import type { ImportResult, LibraryStore } from './types.js';

export interface LibraryRouteOptions {
  library: LibraryStore;
  folder: LoanFolder;
  auth: HubAuth;
  adminToken: string;
  now: () => number;
  /** The roster, for the reports' classes. */
  storage: HubStorage;
  /** The school's UTC offset for "overdue today" (Kazakhstan: +300). */
  utcOffsetMinutes?: number;
}

export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;
/** The errors listed in one answer; the count is always whole. */
const MAX_LISTED_ERRORS = 5000;

const importQuery = z.object({
  skipBadRows: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
  dryRun: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
});
const reportQuery = z.object({
  since: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  top: z.coerce.number().int().min(1).max(100).default(10),
});
const pageQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Parses and, unless told otherwise, writes: a file with errors writes nothing unless skipping is asked for. */
export async function importCatalogue(library: LibraryStore, csv: string, options: { skipBadRows: boolean; dryRun: boolean }, nowMs: number): Promise<ImportResult> {
  const { rows, errors } = parseCatalogueCsv(csv);
  const write = !options.dryRun && (errors.length === 0 || options.skipBadRows) && rows.length > 0;
  const saved = write ? await library.saveRows(rows, nowMs) : { titles: 0, copies: 0 };
  return { imported: write, rows: rows.length + errors.length, titles: saved.titles, copies: saved.copies, errors };
}

export async function registerLibraryRoutes(app: FastifyInstance, options: LibraryRouteOptions): Promise<void> {
  const { library, folder, now } = options;
  const onRequest = tokenGuard(options.auth, [options.adminToken]);
  await app.register((scope, _opts, done) => {
    // text/csv only inside this scope: no other route starts accepting CSV bodies.
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_IMPORT_BYTES }, (_request, body, parsed) => parsed(null, body));

    scope.post('/v1/admin/library/import', { onRequest, bodyLimit: MAX_IMPORT_BYTES }, async (request, reply) => {
      if (typeof request.body !== 'string') throw new HubError(415, 'unsupported_media_type', 'send the catalogue as text/csv');
      const result = await importCatalogue(library, request.body, importQuery.parse(request.query), now());
      const body = { ...result, errorCount: result.errors.length, errors: result.errors.slice(0, MAX_LISTED_ERRORS) };
      return reply.code(result.errors.length > 0 && !result.imported ? 422 : 200).send(body);
    });

    scope.get('/v1/admin/library/copies/:barcode', { onRequest }, async (request) => {
      const { barcode } = z.object({ barcode: wireId }).parse(request.params);
      const copy = await library.copy(barcode);
      if (!copy) throw new HubError(404, 'not_found', `no copy ${barcode}`);
      return { copy, title: await library.title(copy.titleId), loans: await library.loansOfCopy(barcode) };
    });

    scope.get('/v1/admin/library/loans', { onRequest }, async (request) => {
      const { borrower } = z.object({ borrower: wireId.optional() }).parse(request.query);
      return { loans: await library.openLoans(borrower ?? null) };
    });

    scope.get('/v1/admin/library/flags', { onRequest }, async (request) => {
      const query = pageQuery.parse(request.query);
      return { flags: await library.flags(query.after, query.limit) };
    });

    scope.get('/v1/admin/library/reports', { onRequest }, async (request) => {
      const query = reportQuery.parse(request.query);
      return libraryReport(library, options.storage, { nowMs: now(), utcOffsetMinutes: options.utcOffsetMinutes ?? 300, sinceMs: query.since, top: query.top });
    });

    // Folds what has arrived now rather than at the next poll (a librarian checking a conflict).
    scope.post('/v1/admin/library/fold', { onRequest, bodyLimit: 1024 }, async () => ({ read: await folder.catchUp() }));

    // The desks' catalogue, for a device's own token: what a copy is, never who has it. The copies
    // of a school fit in one answer (10,000 copies ≈ 600 kB); a desk asks every few minutes.
    scope.get('/v1/devices/:deviceId/library/catalogue', { onRequest: (request) => authenticateDevice(request, options.auth) }, async () => {
      const copies = await library.allCopies();
      return { asOfMs: now(), copies: copies.map((copy) => ({ id: copy.barcode, titleId: copy.titleId, readingRoomOnly: copy.readingRoomOnly, status: copy.status })) };
    });
    done();
  });
}
