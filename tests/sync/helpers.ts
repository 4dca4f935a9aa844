// Shared pieces of the sync tests: a real hub process on port 0, its admin API, and a kiosk store.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Dispatcher } from 'undici';
import { fetch } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import { createFieldCipher, openStore, type EventClock, type EventDraft, type Store } from '../../sync/store/index.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const silentLogger = pino({ level: process.env.ESIK_TEST_LOG ?? 'silent' });

export async function tempDir(prefix = 'esik-sync-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface HubProcess {
  url: string;
  port: number;
  adminToken: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `hub/main.ts` as a real child process and waits for its "hub listening" line. With
 * ESIK_TEST_HUB_STORAGE=postgres it runs on a throwaway PostgreSQL instead of `dbFile`.
 */
export async function startHubProcess(dbFile: string, extraArgs: string[] = [], scheme: 'http' | 'https' = 'http'): Promise<HubProcess> {
  const adminToken = randomBytes(24).toString('base64url');
  const postgres = process.env.ESIK_TEST_HUB_STORAGE === 'postgres' ? await (await import('../helpers/postgres.js')).startPostgres() : null;
  const database = postgres ? ['--database', postgres.url] : ['--db', dbFile];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), ...database, '--port', '0', ...extraArgs], {
    env: { ...process.env, ESIK_HUB_ADMIN_TOKEN: adminToken, LOG_LEVEL: process.env.ESIK_TEST_HUB_LOG ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  if (process.env.ESIK_TEST_HUB_LOG) child.stdout?.on('data', (c: Buffer) => process.stderr.write(c));
  const port = await new Promise<number>((resolvePort, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"hub listening"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${String(code)}: ${stderr}`)));
  });
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    adminToken,
    child,
    stop: async () => {
      await new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
      await postgres?.stop();
    },
  };
}

// Admin answers differ by route; tests read their fields ad hoc.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AdminJson = any;

export async function adminCall(hub: { url: string; adminToken: string }, method: string, path: string, body?: unknown, dispatcher?: Dispatcher): Promise<{ status: number; json: AdminJson }> {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${hub.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    dispatcher,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

export async function registerDevice(hub: { url: string; adminToken: string }, id: string, dispatcher?: Dispatcher): Promise<string> {
  // A hub busy with other writers answers 503 and Retry-After (nothing written): retried, as a client should.
  for (let attempt = 1; ; attempt++) {
    const { status, json } = await adminCall(hub, 'POST', '/v1/admin/devices', { id }, dispatcher);
    if (status === 503 && attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (status !== 201) throw new Error(`register device: ${status} ${JSON.stringify(json)}`);
    return json.token as string;
  }
}

/** Every event the hub holds, in the hub's ingestion order, through the read API. */
export async function allHubEvents(hub: { url: string; adminToken: string }): Promise<Array<{ hubSeq: number; deviceId: string; event: { id: string; seq: number } }>> {
  const out: Array<{ hubSeq: number; deviceId: string; event: { id: string; seq: number } }> = [];
  let after = 0;
  for (;;) {
    const { json } = await adminCall(hub, 'GET', `/v1/events?after=${after}&limit=5000`);
    out.push(...json.events);
    if (!json.more) return out;
    after = json.next;
  }
}

export class TestClock implements EventClock {
  private readonly start = performance.now();
  constructor(public trustedClock = true) {}
  wallMs(): number {
    return Date.now();
  }
  monoMs(): number {
    return performance.now() - this.start;
  }
  trusted(): boolean {
    return this.trustedClock;
  }
  utcOffsetMinutes(): number {
    return 300;
  }
}

export function keyFor(hex: string) {
  return createFieldCipher(Buffer.from(hex, 'hex'), 'test-key');
}

export function openKioskStore(path: string, deviceId: string, keyHex: string, bootId = `boot-${randomBytes(4).toString('hex')}`): Promise<Store> {
  return openStore({ path, deviceId, bootId, clock: new TestClock(), cipher: keyFor(keyHex), logger: silentLogger, skipIntegrityCheck: true });
}

export function arrival(i: number): EventDraft {
  return { type: 'access.granted', door: 'main', direction: 'in', personId: `p-${i % 997}`, credential: { kind: 'card', ref: `c-${i % 997}` }, reason: null };
}

/** Appends `count` events, `parallel` at a time (they share group-commit transactions). */
export async function appendEvents(store: Store, count: number, parallel = 500): Promise<void> {
  for (let done = 0; done < count; done += parallel) {
    const n = Math.min(parallel, count - done);
    await Promise.all(Array.from({ length: n }, (_, k) => store.events.append(arrival(done + k))));
  }
}

/** Exactly once per id and per (device, seq), and seq increasing per device in the hub's order. */
export function checkExactlyOnce(events: Array<{ deviceId: string; event: { id: string; seq: number } }>): { ids: number; duplicates: number; outOfOrder: number } {
  const ids = new Set<string>();
  const seqs = new Set<string>();
  const lastSeq = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  for (const e of events) {
    if (ids.has(e.event.id) || seqs.has(`${e.deviceId}:${e.event.seq}`)) duplicates += 1;
    ids.add(e.event.id);
    seqs.add(`${e.deviceId}:${e.event.seq}`);
    if ((lastSeq.get(e.deviceId) ?? 0) >= e.event.seq) outOfOrder += 1;
    lastSeq.set(e.deviceId, e.event.seq);
  }
  return { ids: ids.size, duplicates, outOfOrder };
}

export const TEST_ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface InProcessHub {
  app: import('fastify').FastifyInstance;
  storage: import('../../hub/index.js').HubStorage;
  url: string;
  port: number;
  adminToken: string;
  dbFile: string;
  close(): Promise<void>;
}

/**
 * A hub in this process on port 0. On SQLite by default; ESIK_TEST_HUB_STORAGE=postgres runs it on a
 * throwaway PostgreSQL instead (tests/helpers/postgres.ts), so the HTTP-level hub tests check both.
 */
export async function startInProcessHub(options: Partial<import('../../hub/index.js').HubOptions> = {}): Promise<InProcessHub> {
  const { buildHub, PgHubStorage, SqliteHubStorage } = await import('../../hub/index.js');
  const tmp = await tempDir('esik-hub-');
  const dbFile = join(tmp.dir, 'hub.db');
  const postgres = process.env.ESIK_TEST_HUB_STORAGE === 'postgres' ? await (await import('../helpers/postgres.js')).startPostgres() : null;
  const storage = postgres ? await PgHubStorage.open(postgres.url, silentLogger) : await SqliteHubStorage.open(dbFile);
  const app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app, storage, port, dbFile, url: `http://127.0.0.1:${port}`, adminToken: TEST_ADMIN_TOKEN,
    close: async () => {
      await app.close();
      await storage.close();
      await postgres?.stop();
      await tmp.cleanup();
    },
  };
}

/** A wire event as a kiosk would push it; seq and overrides vary per test. */
export function wireEvent(seq: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uuidv7(), seq, type: 'access.granted', at: new Date().toISOString(), wallMs: Date.now(), timeTrusted: true,
    bootId: 'boot-a', monoMs: 1000 + seq, door: 'main', direction: 'in', personId: 'p-1', credential: { kind: 'card', ref: 'c-1' }, reason: null, ...overrides,
  };
}

export async function pushEvents(hub: { url: string }, deviceId: string, token: string, body: unknown, dispatcher?: Dispatcher): Promise<{ status: number; headers: Headers; json: AdminJson }> {
  const response = await fetch(`${hub.url}/v1/devices/${encodeURIComponent(deviceId)}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers as unknown as Headers, json: text ? JSON.parse(text) : null };
}
