// `npm run bench -- sync [--events N] [--people N] [--naive-events N]`
// A real hub process on loopback and a kiosk store in a temp dir:
//  - drain rate of a backlog of N events (default 100,000) with the batching SyncClient, against
//    the naive alternative of one event per request (measured on a smaller backlog, same setup);
//  - time to pull and apply a roster of N people (default 50,000) each with a face template.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { fetch } from 'undici';
import { SyncClient, encodeTemplateVector } from '../sync/client/index.js';
import { createFieldCipher, openStore, type EventClock, type Store } from '../sync/store/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const logger = pino({ level: 'silent' });

function flag(flags: string[], name: string, fallback: number): number {
  const hit = flags.find((f) => f.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
}

const clock: EventClock = { wallMs: () => Date.now(), monoMs: () => performance.now(), trusted: () => true, utcOffsetMinutes: () => 300 };

async function startHub(db: string, adminToken: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), '--db', db, '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, ESIK_HUB_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, fail) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) done(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`hub exited ${String(code)}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

async function admin(url: string, token: string, method: string, path: string, body: unknown): Promise<{ token?: string }> {
  const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { token?: string };
}

async function kiosk(dir: string, name: string, hubUrl: string, deviceToken: string, opts: { batchSize?: number; rosterPageSize?: number }): Promise<{ store: Store; client: SyncClient }> {
  const store = await openStore({ path: join(dir, `${name}.db`), deviceId: name, bootId: 'bench', clock, cipher: createFieldCipher(randomBytes(32), 'bench'), logger });
  const client = new SyncClient({ baseUrl: hubUrl, deviceId: name, token: () => Promise.resolve(deviceToken), outbox: store.outbox, roster: store.roster, logger, ...opts });
  return { store, client };
}

async function fill(store: Store, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const n = Math.min(1000, count - done);
    await Promise.all(Array.from({ length: n }, (_, k) => store.events.append({ type: 'access.granted', door: 'main', direction: 'in', personId: `p-${done + k}`, credential: { kind: 'face', score: 0.9 }, reason: null })));
  }
}

async function drain(dir: string, hubUrl: string, adminToken: string, name: string, events: number, batchSize: number): Promise<{ events: number; seconds: number; eventsPerSecond: number; storeOutboxSeconds: number }> {
  const { token } = await admin(hubUrl, adminToken, 'POST', '/v1/admin/devices', { id: name });
  const { store, client } = await kiosk(dir, name, hubUrl, token ?? '', { batchSize });
  await fill(store, events);
  // Time inside the store's outbox (reading batches, marking them synced) versus wire and hub.
  let outboxMs = 0;
  const timed = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const t0 = performance.now();
    try {
      return await fn(...args);
    } finally {
      outboxMs += performance.now() - t0;
    }
  };
  store.outbox.nextBatch = timed(store.outbox.nextBatch.bind(store.outbox));
  store.outbox.markSynced = timed(store.outbox.markSynced.bind(store.outbox));
  const started = performance.now();
  const result = await client.syncNow();
  const seconds = (performance.now() - started) / 1000;
  const left = (await store.outbox.backlog()).pending;
  await store.close();
  if (!result.ok || left !== 0) throw new Error(`drain incomplete: ${result.error ?? ''} pending=${left}`);
  return { events, seconds: Number(seconds.toFixed(2)), eventsPerSecond: Math.round(events / seconds), storeOutboxSeconds: Number((outboxMs / 1000).toFixed(2)) };
}

async function loadRoster(hubUrl: string, adminToken: string, people: number): Promise<void> {
  for (let start = 0; start < people; start += 2500) {
    const changes = [];
    for (let i = start; i < Math.min(people, start + 2500); i += 1) {
      const vector = Float32Array.from({ length: 128 }, (_, k) => Math.sin(i * 131 + k));
      changes.push({ op: 'upsert', type: 'person', data: { id: `p-${i}`, name: `Pupil ${i}`, shortName: `P. ${i}`, group: `${1 + (i % 11)}A`, role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short' } });
      changes.push({ op: 'upsert', type: 'template', data: { id: `t-${i}`, personId: `p-${i}`, modality: 'face', algo: 'faceapi-resnet128-v1/aligned150', data: encodeTemplateVector(vector) } });
    }
    await admin(hubUrl, adminToken, 'POST', '/v1/admin/roster/batch', { changes });
  }
}

export async function run(flags: string[]): Promise<object> {
  const events = flag(flags, 'events', 100_000);
  const naiveEvents = flag(flags, 'naive-events', 2_000);
  const people = flag(flags, 'people', 50_000);
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-sync-'));
  const adminToken = randomBytes(24).toString('base64url');
  const hub = await startHub(join(dir, 'hub.db'), adminToken);
  try {
    const batched = await drain(dir, hub.url, adminToken, 'bench-batched', events, 500);
    const naive = await drain(dir, hub.url, adminToken, 'bench-naive', naiveEvents, 1);
    await loadRoster(hub.url, adminToken, people);
    const { token } = await admin(hub.url, adminToken, 'POST', '/v1/admin/devices', { id: 'bench-roster' });
    const { store, client } = await kiosk(dir, 'bench-roster', hub.url, token ?? '', { rosterPageSize: 2000 });
    // Time spent inside the store's applyPage (decrypt/encrypt, SQLite) versus the wire and the hub.
    let storeApplyMs = 0;
    const applyPage = store.roster.applyPage.bind(store.roster);
    store.roster.applyPage = async (...args) => {
      const t0 = performance.now();
      try {
        return await applyPage(...args);
      } finally {
        storeApplyMs += performance.now() - t0;
      }
    };
    const started = performance.now();
    const pulled = await client.syncNow();
    const rosterSeconds = (performance.now() - started) / 1000;
    const snapshot = await store.roster.load();
    await store.close();
    if (!pulled.ok) throw new Error(`roster pull failed: ${pulled.error ?? ''}`);
    return {
      transport: 'http loopback, hub in a child process (SQLite, synchronous=FULL), kiosk store WAL synchronous=FULL',
      drain: { ...batched, batchSize: 500, targetEventsPerSecond: 5000, meetsTarget: batched.eventsPerSecond >= 5000 },
      naiveOnePerRequest: naive,
      batchedVsNaive: Number((batched.eventsPerSecond / naive.eventsPerSecond).toFixed(1)),
      roster: {
        people,
        templates: snapshot.templates.length,
        changesApplied: pulled.rosterApplied,
        pageSize: 2000,
        seconds: Number(rosterSeconds.toFixed(2)),
        storeApplySeconds: Number((storeApplyMs / 1000).toFixed(2)),
        targetSeconds: 20,
        meetsTarget: rosterSeconds <= 20 && snapshot.people.size === people,
      },
    };
  } finally {
    hub.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
