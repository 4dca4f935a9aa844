// `npm run bench -- console [--pupils=N] [--requests=N]`
// The school console of a 2,000-pupil school (default), on the hub's SQLite and on PostgreSQL (a
// throwaway server, scripts/pg-temp.ts) in one run. The school is built through the console's own
// import path (PeopleService: pupils and two guardians each into the roster) and the hub's ingest
// (last month's school days and today's arrivals, ~90% of pupils a day, one device, batches of 500).
// Reported per storage:
// - attendance_page_p99_ms: today's attendance page (GET /console/attendance, a director's
//   session, its audit record included), from the request's first byte sent to the full response
//   read, over loopback, one request at a time; p50 and p99 of --requests (default 300);
// - register_export_ms: one class's monthly register as XLSX (last month), median of 7 downloads.
// Targets (issue 17): page p99 at most 300 ms, export at most 2 s.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { hashToken } from '../hub/auth.js';
import { buildHub, PgHubStorage, SqliteHubStorage, type HubStorage, type IngestItem } from '../hub/index.js';
import { createAccount, DEFAULT_SCHOOL_DAY, parseClassList, PeopleService, peopleStoreFor } from '../hub/console/index.js';
import { wireEventSchema } from '../protocol/index.js';
import { sampleClassList } from '../scripts/class-list-sample.js';
import { startPostgres } from '../scripts/pg-temp.js';

const logger = pino({ level: 'silent' });
const DAY = 86_400_000;
const OFFSET = DEFAULT_SCHOOL_DAY.utcOffsetMinutes * 60_000;
const PASSWORD = 'bench console password 1';

function flag(flags: string[], name: string, fallback: number): number {
  const found = flags.find((f) => f.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const round = (x: number): number => Number(x.toFixed(1));

/** Local midnights (UTC ms) of last month's weekdays and of this month's weekdays up to today. */
function schoolDays(nowMs: number): { lastMonth: string; days: number[] } {
  const local = new Date(nowMs + OFFSET);
  const first = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1);
  const today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const days: number[] = [];
  for (let d = first; d <= today; d += DAY) {
    const weekday = new Date(d).getUTCDay();
    if ((weekday !== 0 && weekday !== 6) || d === today) days.push(d - OFFSET);
  }
  return { lastMonth: new Date(first).toISOString().slice(0, 7), days };
}

/** Pupils and guardians through the console's import path; returns the pupils' ids and classes. */
async function buildSchool(storage: HubStorage, pupils: number): Promise<Array<{ id: string; group: string }>> {
  const parsed = parseClassList(sampleClassList(pupils).csv);
  if (!parsed.ok || parsed.errors.length > 0) throw new Error('the sample class list did not parse');
  const store = await peopleStoreFor(storage);
  await store.migrate();
  const people = new PeopleService(storage, store);
  await people.importPupils(parsed.rows, Date.now());
  const page = await storage.rosterPage(null, 100_000, true);
  return (page?.changes ?? []).flatMap((c) => (c.op === 'upsert' && c.type === 'person' && c.data.role === 'student' && c.data.group ? [{ id: c.data.id, group: c.data.group }] : []));
}

/** About 90% of pupils on each school day, between 07:00 and 08:30 local (some late). */
async function ingestArrivals(storage: HubStorage, pupils: ReadonlyArray<{ id: string }>, days: readonly number[]): Promise<number> {
  let seq = 0;
  let batch: IngestItem[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await storage.ingest('kiosk-1', batch, null, null, Date.now());
    batch = [];
  };
  for (const midnight of days) {
    for (const [i, pupil] of pupils.entries()) {
      if ((i * 7 + Math.floor((midnight + OFFSET) / DAY)) % 10 === 0) continue;
      const wallMs = midnight + 7 * 3_600_000 + ((i * 7919) % 5400) * 1000;
      seq += 1;
      batch.push({ event: wireEventSchema.parse({ id: uuidv7(), seq, type: 'access.granted', at: new Date(wallMs).toISOString(), wallMs, timeTrusted: true, bootId: 'bench', monoMs: seq, door: 'main', direction: 'in', personId: pupil.id, credential: { kind: 'card', ref: 'c' }, reason: null }) });
      if (batch.length === 500) await flush();
    }
  }
  await flush();
  return seq;
}

async function signIn(url: string): Promise<string> {
  const response = await fetch(`${url}/console/login`, {
    method: 'POST', redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'director', password: PASSWORD }).toString(),
  });
  if (response.status !== 302) throw new Error(`sign-in: ${response.status}`);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

async function timed(url: string, cookie: string, expectType: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(url, { headers: { cookie } });
  await response.arrayBuffer();
  const ms = performance.now() - start;
  if (response.status !== 200 || !(response.headers.get('content-type') ?? '').startsWith(expectType)) throw new Error(`${url}: ${response.status}`);
  return ms;
}

async function measure(app: FastifyInstance, group: string, month: string, requests: number): Promise<Record<string, number>> {
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('not listening');
  const base = `http://127.0.0.1:${address.port}`;
  const cookie = await signIn(base);
  for (let i = 0; i < 10; i++) await timed(`${base}/console/attendance`, cookie, 'text/html'); // warm-up
  const page: number[] = [];
  for (let i = 0; i < requests; i++) page.push(await timed(`${base}/console/attendance`, cookie, 'text/html'));
  const register: number[] = [];
  const registerUrl = `${base}/console/classes/${encodeURIComponent(group)}/register?month=${month}&format=xlsx`;
  for (let i = 0; i < 7; i++) register.push(await timed(registerUrl, cookie, 'application/vnd.openxmlformats'));
  page.sort((a, b) => a - b);
  register.sort((a, b) => a - b);
  return {
    attendance_page_p50_ms: round(percentile(page, 50)),
    attendance_page_p99_ms: round(percentile(page, 99)),
    register_export_ms: round(percentile(register, 50)),
    register_export_max_ms: round(register.at(-1) ?? NaN),
  };
}

async function benchStorage(storage: HubStorage, pupils: number, requests: number): Promise<Record<string, number | string>> {
  const built = performance.now();
  const school = await buildSchool(storage, pupils);
  const { lastMonth, days } = schoolDays(Date.now());
  await storage.addDevice('kiosk-1', 'Main entrance', await hashToken('bench-console-device-token'));
  const events = await ingestArrivals(storage, school, days);
  const buildS = (performance.now() - built) / 1000;
  await createAccount(storage, { username: 'director', displayName: 'Bench Director', role: 'director', className: null, password: PASSWORD });
  const app = await buildHub({ storage, logger, adminToken: 'bench-console-admin-token-0123', console: { limits: { failuresPerAddress: 100 } } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const group = school[0]?.group ?? '1А';
    const classSize = school.filter((p) => p.group === group).length;
    return { pupils: school.length, classes: new Set(school.map((p) => p.group)).size, events, register_class: group, register_class_pupils: classSize, register_month: lastMonth, build_s: round(buildS), ...(await measure(app, group, lastMonth, requests)) };
  } finally {
    await app.close();
  }
}

export async function run(flags: string[]): Promise<unknown> {
  const pupils = flag(flags, 'pupils', 2000);
  const requests = flag(flags, 'requests', 300);
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-console-'));
  const pg = await startPostgres();
  try {
    const sqliteStorage = await SqliteHubStorage.open(join(dir, 'hub.db'));
    const sqlite = await benchStorage(sqliteStorage, pupils, requests).finally(() => sqliteStorage.close());
    const pgStorage = await PgHubStorage.open(pg.url, logger);
    const postgres = await benchStorage(pgStorage, pupils, requests).finally(() => pgStorage.close());
    return { sqlite, postgres, requests, targets: { attendance_page_p99_ms: 300, register_export_ms: 2000 } };
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
