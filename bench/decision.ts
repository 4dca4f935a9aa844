// Card presentation → relay command, through the real hot path: roster cache lookup, policy,
// group-committed SQLite append (WAL, synchronous=FULL, real file in a temp dir), door controller,
// simulated relay. Then a burst of concurrent presentations at many readers for durable events/s,
// side by side with the naive alternative: one transaction and one fsync per event, no group commit.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import sinon from 'sinon';
import sqlite3 from 'sqlite3';
import { KioskClock } from '../device/clock.js';
import { DoorController } from '../device/door/index.js';
import { SimulatedRelay } from '../device/hw/index.js';
import { Kiosk } from '../device/kiosk/index.js';
import { RosterCache } from '../device/roster-cache.js';
import { createFieldCipher, openStore, type RosterChange, type Store } from '../sync/store/index.js';

const logger = pino({ level: 'silent' });

function flag(flags: string[], name: string, fallback: number): number {
  const found = flags.find((f) => f.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.split('=')[1]);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

function roster(people: number): RosterChange[] {
  const changes: RosterChange[] = [
    { op: 'upsert', type: 'schedule', data: { id: 's', groups: ['*'], roles: ['student'], weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' }], doors: [] } },
  ];
  for (let i = 0; i < people; i++) {
    changes.push({ op: 'upsert', type: 'person', data: { id: `p-${i}`, name: `Pupil ${i}`, shortName: null, group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' } });
    changes.push({ op: 'upsert', type: 'credential', data: { id: `c-${i}`, personId: `p-${i}`, kind: 'card', value: cardOf(i), validFrom: null, validTo: null, singleUse: false } });
  }
  return changes;
}

const cardOf = (i: number): string => (0x04000000 + i).toString(16).toUpperCase().padStart(8, '0');

interface Rig {
  dir: string;
  store: Store;
  kiosk: Kiosk;
  clock: KioskClock;
  relayTimes: number[];
  doors: DoorController[];
}

async function rig(doorCount: number, people: number): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-decision-'));
  const clock = new KioskClock({ utcOffsetMinutes: 300, ntpProbe: () => Promise.resolve(true) });
  const store = await openStore({ path: join(dir, 'esik.db'), deviceId: 'bench', bootId: 'bench-boot', clock, cipher: createFieldCipher(randomBytes(32), 'bench'), logger });
  await store.roster.applyLocal(roster(people));
  const cache = await RosterCache.load(store.roster);
  const relayTimes: number[] = [];
  const doors: DoorController[] = [];
  for (let d = 0; d < doorCount; d++) {
    const relay = new SimulatedRelay(`door${d}.relay`, { contact: 'NO', activeLow: false }, (command) => {
      if (command.energised) relayTimes.push(clock.monoMs());
    });
    const door = new DoorController({ name: `door${d}`, kind: 'door', lockType: 'fail-secure', pulseMs: 50, heldOpenMs: 30_000, relays: { in: relay }, logger });
    await door.ready;
    doors.push(door);
  }
  const kiosk = new Kiosk({ events: store.events, roster: cache, doors, clock, logger, antiPassback: 'off', mode: 'normal', failMode: 'secure', queueCapacity: 1_000_000 });
  return { dir, store, kiosk, clock, relayTimes, doors };
}

async function closeRig(r: Rig): Promise<void> {
  await r.kiosk.drain();
  for (const door of r.doors) await door.close();
  await r.store.close();
  await rm(r.dir, { recursive: true, force: true });
}

/** Sequential presentations; fake setTimeout relocks the door between them so every grant writes the relay. */
async function sequential(n: number, people: number): Promise<{ latencies: number[]; commits: number }> {
  const r = await rig(1, people);
  const timers = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const presentedMonoMs = r.clock.monoMs();
      const before = r.relayTimes.length;
      const decision = await r.kiosk.submit({ kind: 'card', readerId: 'r0', monoMs: presentedMonoMs, value: cardOf(i % people) }, 'door0', 'in');
      const relayAt = r.relayTimes[before];
      if (decision?.outcome !== 'grant' || relayAt === undefined) throw new Error(`presentation ${i} was not granted with a relay command`);
      latencies.push(relayAt - presentedMonoMs);
      await timers.tickAsync(60); // the 50 ms pulse ends: the door relocks
    }
  } finally {
    timers.restore();
  }
  const commits = r.store.events.commits;
  await closeRig(r);
  return { latencies, commits };
}

/** Many readers at once (a morning rush on every turnstile): group commit shares fsyncs. */
async function burst(total: number, readers: number, people: number): Promise<{ perSecond: number; commits: number; events: number }> {
  const r = await rig(readers, people);
  const started = performance.now();
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < total; i++) {
    const reader = i % readers;
    pending.push(r.kiosk.submit({ kind: 'card', readerId: `r${reader}`, monoMs: r.clock.monoMs(), value: cardOf(i % people) }, `door${reader}`, 'in'));
  }
  const results = await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  const decided = results.filter((d) => d !== null).length;
  const commits = r.store.events.commits;
  await closeRig(r);
  return { perSecond: decided / seconds, commits, events: decided };
}

function sqlRun(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (error) => (error === null ? resolve() : reject(error))));
}

/** The naive store: every event its own transaction and fsync, appends serialised. */
async function naive(n: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-naive-'));
  const db = new sqlite3.Database(join(dir, 'naive.db'));
  await sqlRun(db, 'PRAGMA journal_mode=WAL');
  await sqlRun(db, 'PRAGMA synchronous=FULL');
  await sqlRun(db, 'CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, type TEXT, person_id TEXT, door TEXT, wall_ms INTEGER, data TEXT)');
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await sqlRun(db, 'BEGIN IMMEDIATE');
    await sqlRun(db, 'INSERT INTO events (id, type, person_id, door, wall_ms, data) VALUES (?, ?, ?, ?, ?, ?)', [randomBytes(16).toString('hex'), 'access.granted', `p-${i}`, 'door0', Date.now(), '{}']);
    await sqlRun(db, 'COMMIT');
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  await new Promise<void>((resolve) => db.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function run(flags: string[]): Promise<object> {
  const n = flag(flags, 'n', 10_000);
  const burstSize = flag(flags, 'burst', 5_000);
  // Concurrent sources in the burst: each reader is served one presentation at a time, so the
  // group size (events per fsync) is bounded by how many readers present at once.
  const readers = flag(flags, 'readers', 32);
  const people = flag(flags, 'people', 1_000);

  const seq = await sequential(n, people);
  const sorted = [...seq.latencies].sort((a, b) => a - b);
  const rush = await burst(burstSize, readers, people);
  const fourTurnstiles = await burst(Math.min(burstSize, 2_000), 8, people);
  const baseline = await naive(Math.min(burstSize, 3_000));
  const result = {
    decisions: n,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? NaN),
    burst_events: rush.events,
    burst_readers: readers,
    burst_commits: rush.commits,
    durable_events_per_s: Math.round(rush.perSecond),
    durable_events_per_s_8_readers: Math.round(fourTurnstiles.perSecond),
    naive_events_per_s: Math.round(baseline.perSecond),
    naive_append_p50_ms: round(baseline.p50),
    naive_append_p99_ms: round(baseline.p99),
    group_commit_vs_naive_throughput: round(rush.perSecond / baseline.perSecond, 2),
    morning_rush_events_per_s_needed: round(1000 / (15 * 60), 2),
    // Latency percentiles mean little on a machine busy with other work: say how busy it was.
    cpus: availableParallelism(),
    load_avg_1m_at_end: round(loadavg()[0] ?? 0, 1),
  };
  return result;
}
