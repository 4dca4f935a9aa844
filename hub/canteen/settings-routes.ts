// The canteen's settings over HTTP for the admin token (the menu with its periods and staff rule, a
// child's guardian settings, the free-meal register's CSV import) and the tills' snapshot for a
// device's own token. Tokens are checked in onRequest, before a body is read. Building a snapshot
// reads every diner: at most two are built at once, a third asker gets 429 and comes back later.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { canteenFileSchema, guardianSettingsSchema, wireId } from '../../protocol/index.js';
import { tokenGuard } from '../admin-routes.js';
import { peopleStoreFor } from '../console/index.js';
import { authenticateDevice } from '../device-routes.js';
import { HubError } from '../errors.js';
import type { HubAuth } from '../hub-auth.js';
import type { RowError } from '../library/index.js';
import type { HubStorage } from '../storage.js';
import type { CanteenLedger } from './ledger-types.js';
import type { MealStore } from './meal-store.js';
import { parseRegisterCsv, type RegisterCsvRow } from './register-csv.js';
import type { CanteenSettingsStore, RegisterEntry } from './settings-store.js';
import { buildTillSnapshot } from './snapshot.js';

export interface CanteenSettingsRouteOptions {
  settings: CanteenSettingsStore;
  ledger: CanteenLedger;
  meals: MealStore;
  /** The roster (a person must exist) and, through the console's people, ИИНs. */
  storage: HubStorage;
  auth: HubAuth;
  adminToken: string;
  now: () => number;
  /** The school's UTC offset, for "today" (Kazakhstan: +300). */
  utcOffsetMinutes?: number;
}

export const MAX_REGISTER_BYTES = 4 * 1024 * 1024;
const MAX_LISTED_ERRORS = 5000;
const MAX_SNAPSHOT_BUILDS = 2;
const flag = z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true');
const importQuery = z.object({ skip_bad: flag, replace: flag, dry_run: flag });

export interface RegisterImportResult {
  imported: boolean;
  rows: number;
  entries: number;
  errors: RowError[];
}

/** ИИНs to person ids (the console's people) and person ids checked against the roster; each miss is its line's error. */
async function resolveRows(rows: readonly RegisterCsvRow[], storage: HubStorage): Promise<{ entries: RegisterEntry[]; errors: RowError[] }> {
  const iins = [...new Set(rows.flatMap((row) => (row.iin === null ? [] : [row.iin])))];
  const byIin = iins.length === 0 ? new Map<string, string>() : await (await peopleStoreFor(storage)).idsByIin(iins);
  const known = new Map<string, boolean>();
  const entries: RegisterEntry[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const personId = row.personId ?? byIin.get(row.iin ?? '') ?? null;
    if (personId === null) {
      errors.push({ line: row.line, message: "no person with this iin in the console's people" });
      continue;
    }
    if (!known.has(personId)) known.set(personId, (await storage.rosterEntity('person', personId)) !== null);
    if (known.get(personId) !== true) {
      errors.push({ line: row.line, message: `no person ${personId} in the roster` });
      continue;
    }
    const earlier = seen.get(`${personId}|${row.category}`);
    if (earlier !== undefined) {
      errors.push({ line: row.line, message: `${personId} in category ${row.category} is already on line ${earlier}` });
      continue;
    }
    seen.set(`${personId}|${row.category}`, row.line);
    entries.push({ personId, category: row.category, validFrom: row.validFrom, validTo: row.validTo, periods: row.periods });
  }
  return { entries, errors };
}

/** Parses, resolves and, unless told otherwise, writes: a file with any bad row writes nothing unless `skipBad`. */
export async function importRegister(settings: CanteenSettingsStore, storage: HubStorage, csv: string, options: { skipBad: boolean; replace: boolean; dryRun: boolean }, nowMs: number): Promise<RegisterImportResult> {
  const parsed = parseRegisterCsv(csv);
  const resolved = await resolveRows(parsed.rows, storage);
  const errors = [...parsed.errors, ...resolved.errors].sort((a, b) => a.line - b.line);
  const write = !options.dryRun && (errors.length === 0 || options.skipBad) && (resolved.entries.length > 0 || options.replace);
  if (write) await settings.saveRegister(resolved.entries, options.replace, nowMs);
  return { imported: write, rows: parsed.rows.length + parsed.errors.length, entries: write ? resolved.entries.length : 0, errors };
}

async function knownPerson(storage: HubStorage, personId: string): Promise<void> {
  if ((await storage.rosterEntity('person', personId)) === null) throw new HubError(404, 'not_found', `no person ${personId}`);
}

export async function registerCanteenSettingsRoutes(app: FastifyInstance, options: CanteenSettingsRouteOptions): Promise<void> {
  const { settings, storage, now } = options;
  const onRequest = tokenGuard(options.auth, [options.adminToken]);
  let building = 0;
  await app.register((scope, _opts, done) => {
    // text/csv only inside this scope: no other route starts accepting CSV bodies.
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_REGISTER_BYTES }, (_request, body, parsed) => parsed(null, body));

    scope.put('/v1/admin/canteen/menu', { onRequest, bodyLimit: 256 * 1024 }, async (request) => {
      const menu = canteenFileSchema.parse(request.body);
      await settings.setMenu(menu, now());
      return { menu };
    });
    scope.get('/v1/admin/canteen/menu', { onRequest }, async () => {
      const menu = await settings.menu();
      if (menu === null) throw new HubError(404, 'not_found', 'the canteen menu is not set');
      return { menu };
    });

    scope.get('/v1/admin/canteen/guardians/:personId', { onRequest }, async (request) => {
      const { personId } = z.object({ personId: wireId }).parse(request.params);
      const found = await settings.guardian(personId);
      if (found === null) throw new HubError(404, 'not_found', `no guardian settings for ${personId}`);
      return { personId, settings: found };
    });
    scope.put('/v1/admin/canteen/guardians/:personId', { onRequest, bodyLimit: 16 * 1024 }, async (request) => {
      const { personId } = z.object({ personId: wireId }).parse(request.params);
      const body = guardianSettingsSchema.parse(request.body);
      await knownPerson(storage, personId);
      await settings.setGuardian(personId, body, now());
      return { personId, settings: body };
    });

    scope.get('/v1/admin/canteen/free-meals', { onRequest }, async (request) => {
      const { person } = z.object({ person: wireId.optional() }).parse(request.query);
      return settings.register(person ?? null);
    });
    // 422 with every bad line when nothing was written; 200 when it was (with the lines skipped).
    scope.post('/v1/admin/canteen/free-meals/import', { onRequest, bodyLimit: MAX_REGISTER_BYTES }, async (request, reply) => {
      if (typeof request.body !== 'string') throw new HubError(415, 'unsupported_media_type', 'send the register as text/csv');
      const query = importQuery.parse(request.query);
      const result = await importRegister(settings, storage, request.body, { skipBad: query.skip_bad, replace: query.replace, dryRun: query.dry_run }, now());
      const body = { ...result, errorCount: result.errors.length, errors: result.errors.slice(0, MAX_LISTED_ERRORS) };
      return reply.code(result.errors.length > 0 && !result.imported ? 422 : 200).send(body);
    });

    scope.get('/v1/devices/:deviceId/canteen/snapshot', { onRequest: (request) => authenticateDevice(request, options.auth) }, async (request) => {
      if (building >= MAX_SNAPSHOT_BUILDS) throw new HubError(429, 'busy', 'snapshots are being built; ask again shortly', { 'retry-after': '5' });
      building += 1;
      try {
        return await buildTillSnapshot(options, request.deviceId ?? '', now(), options.utcOffsetMinutes ?? 300);
      } finally {
        building -= 1;
      }
    });
    done();
  });
}
