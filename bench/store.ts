// `npm run bench -- store [--events=N] [--people=N]`
// Durable event throughput (group commit vs one transaction per event, the naive alternative),
// append latency one decision at a time and with 4 concurrent doors, and the 50k-person roster:
// apply in one page and load back into memory. All on real files with synchronous=FULL.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import sqlite3 from 'sqlite3';
import { type EventClock, type EventDraft, type RosterChange, type Store, createFieldCipher, openStore } from '../sync/store/index.js';

const clock: EventClock = { wallMs: () => Date.now(), monoMs: () => performance.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
const draft = (i: number): EventDraft => ({
  type: 'access.granted', door: `t${i % 4}`, direction: 'in', personId: `p-${i}`, credential: { kind: 'card', ref: `c-${i}` }, reason: null,
});

function flag(flags: string[], name: string, fallback: number): number {
  const found = flags.find((f) => f.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Process CPU seconds (main thread and SQLite's worker threads): a figure other load cannot inflate. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function open(dir: string, name: string): Promise<Store> {
  return openStore({
    path: join(dir, name), deviceId: 'bench', bootId: 'b', clock, logger: pino({ level: 'silent' }),
    cipher: createFieldCipher(randomBytes(32), 'k-bench'),
  });
}

async function burst(store: Store, count: number): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => store.events.append(draft(i))));
  return count / ((performance.now() - start) / 1000);
}

async function latencies(store: Store, count: number, concurrency: number): Promise<number[]> {
  const samples: number[] = [];
  const lane = async (offset: number): Promise<void> => {
    for (let i = offset; i < count; i += concurrency) {
      const start = performance.now();
      await store.events.append(draft(i));
      samples.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, k) => lane(k)));
  return samples.sort((a, b) => a - b);
}

/** The alternative: one autocommit INSERT per event, each its own fsync. */
async function naivePerEvent(dir: string, count: number): Promise<number> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(join(dir, 'naive.db'), (e) => (e ? reject(e) : resolve(d)));
  });
  const exec = (sql: string, params: unknown[] = []): Promise<void> =>
    new Promise((resolve, reject) => db.run(sql, params, (e: Error | null) => (e ? reject(e) : resolve())));
  await exec('PRAGMA journal_mode = WAL');
  await exec('PRAGMA synchronous = FULL');
  await exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, body TEXT)');
  const start = performance.now();
  for (let i = 0; i < count; i++) await exec('INSERT INTO events (seq, id, body) VALUES (?, ?, ?)', [i + 1, `id-${i}`, JSON.stringify(draft(i))]);
  const rate = count / ((performance.now() - start) / 1000);
  await new Promise<void>((resolve) => db.close(() => resolve()));
  return rate;
}

function rosterPage(people: number): RosterChange[] {
  const changes: RosterChange[] = [];
  for (let i = 0; i < people; i++) {
    changes.push({ op: 'upsert', type: 'person', data: {
      id: `p-${i}`, name: `Pupil Number ${i}`, shortName: `Pupil ${i}`, group: `${(i % 11) + 1}${'ABCD'[i % 4]}`, role: 'student',
      status: 'active', validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short' } });
  }
  for (let i = 0; i < people; i++) {
    const vector = new Float32Array(128).map((_, k) => Math.sin(i + k));
    changes.push({ op: 'upsert', type: 'template', data: { id: `t-${i}`, personId: `p-${i}`, modality: 'face', algo: 'faceapi-resnet128-v1', vector } });
  }
  return changes;
}

export async function run(flags: string[]): Promise<object> {
  const events = flag(flags, 'events', 10_000);
  const people = flag(flags, 'people', 50_000);
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-store-'));
  try {
    const store = await open(dir, 'events.db');
    let cpu = cpuSeconds();
    const groupRate = await burst(store, events);
    const burstCpuS = cpuSeconds() - cpu;
    const commitsBefore = store.events.commits;
    const serial = await latencies(store, 2_000, 1);
    const fourDoors = await latencies(store, 4_000, 4);
    const commits = store.events.commits - commitsBefore;
    await store.close();
    const naiveRate = await naivePerEvent(dir, Math.min(events, 2_000));

    const rosterStore = await open(dir, 'roster.db');
    const page = rosterPage(people);
    let start = performance.now();
    cpu = cpuSeconds();
    await rosterStore.roster.applyPage(page, 'c:1');
    const applyS = (performance.now() - start) / 1000;
    const applyCpuS = cpuSeconds() - cpu;
    start = performance.now();
    cpu = cpuSeconds();
    const snapshot = await rosterStore.roster.load();
    const loadS = (performance.now() - start) / 1000;
    const loadCpuS = cpuSeconds() - cpu;
    await rosterStore.close();

    return {
      burst_events: events,
      durable_events_per_s: Math.round(groupRate),
      burst_cpu_us_per_event: round((burstCpuS / events) * 1e6, 1),
      naive_per_event_commit_events_per_s: Math.round(naiveRate),
      group_commit_speedup: round(groupRate / naiveRate, 1),
      append_p50_ms: round(percentile(serial, 50)),
      append_p99_ms: round(percentile(serial, 99)),
      append_4doors_p50_ms: round(percentile(fourDoors, 50)),
      append_4doors_p99_ms: round(percentile(fourDoors, 99)),
      commits_for_6000_latency_appends: commits,
      roster_people: people,
      roster_templates: snapshot.templates.length,
      roster_apply_s: round(applyS, 2),
      roster_apply_cpu_s: round(applyCpuS, 2),
      roster_load_s: round(loadS, 2),
      roster_load_cpu_s: round(loadCpuS, 2),
      loadavg_1m: round(loadavg()[0] ?? 0, 1),
      cores: cpus().length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
