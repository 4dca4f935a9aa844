// `npm run bench -- hub`: N simulated kiosks (HUB_BENCH_DEVICES, default 500: a district of 200
// schools) push over keep-alive HTTP to real hub processes, on SQLite, then on PostgreSQL, then
// with two hub processes on that one PostgreSQL (the kiosks split between them).
//
// Per storage: a backlog drain (every kiosk pushes HUB_BENCH_EVENTS_PER_DEVICE events at once, in
// the sync client's batches of 500, as after a district-wide outage) gives events_per_s; a steady
// phase (every kiosk makes HUB_BENCH_STEADY_EVENTS events, pushes and pulls the roster every
// HUB_BENCH_PULL_MS) gives push_p99_ms and roster_fanout_s (one admin change, timed until every
// kiosk has pulled it); hub_rss_mb is the hub's VmHWM. Everything is read back at the end: a run
// that lost or duplicated an event says so. Each kiosk connects from its own 127.x address, as
// kiosks behind different school routers would.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedKiosk } from './_hub-bench-kiosk.js';
import { drain, firstContact, measureDriver, percentile, readBack, seedFanoutPerson, steady, type Route } from './_hub-bench-load.js';
import { cpuSeconds, eachLimited, machineCpu, peakRssMb, registerDevice, startHubChild, treeCpuSeconds, type HubChild, type HubStore } from './_hub-bench-process.js';
import { startPostgres } from '../scripts/pg-temp.js';

interface BenchSettings {
  devices: number;
  eventsPerDevice: number;
  batchSize: number;
  pullMs: number;
  steadyEvents: number;
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

function settingsFromEnv(): BenchSettings {
  return {
    devices: envInt('HUB_BENCH_DEVICES', 500),
    eventsPerDevice: envInt('HUB_BENCH_EVENTS_PER_DEVICE', 400),
    batchSize: Math.min(500, envInt('HUB_BENCH_BATCH', 500)),
    pullMs: envInt('HUB_BENCH_PULL_MS', 2000),
    steadyEvents: envInt('HUB_BENCH_STEADY_EVENTS', 2),
  };
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** Kiosk i's source address: 127.10.x.y, one per kiosk, so the hub sees 500 clients, not one. */
function sourceAddress(index: number): string {
  return `127.10.${Math.floor(index / 250)}.${1 + (index % 250)}`;
}

/** Registers the kiosks on `hub` (a scrypt hash each, one at a time on the hub's worker thread). */
async function registerKiosks(hub: HubChild, count: number, prefix: string): Promise<{ kiosks: SimulatedKiosk[]; seconds: number }> {
  const started = performance.now();
  const kiosks: SimulatedKiosk[] = new Array<SimulatedKiosk>(count);
  await eachLimited(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const id = `${prefix}-${String(i).padStart(4, '0')}`;
      kiosks[i] = new SimulatedKiosk(id, await registerDevice(hub, id), sourceAddress(i));
    },
  );
  return { kiosks, seconds: (performance.now() - started) / 1000 };
}

/** Load on a set of hubs that already know the kiosks: first contact, drain, steady phase, read-back. */
async function measure(hubs: readonly HubChild[], kiosks: readonly SimulatedKiosk[], settings: BenchSettings, postgresPid: number | null): Promise<Record<string, unknown>> {
  const route: Route = (_kiosk, index) => (hubs[index % hubs.length]).url;
  const admin = hubs[0];
  const contactStarted = performance.now();
  await firstContact(kiosks, route);
  const firstContactS = (performance.now() - contactStarted) / 1000;
  for (const kiosk of kiosks) kiosk.enqueue(settings.eventsPerDevice);

  const hubCpu = async (): Promise<number> => (await Promise.all(hubs.map((h) => cpuSeconds(h.pid)))).reduce((a, b) => a + b, 0);
  const before = { hub: await hubCpu(), pg: postgresPid === null ? 0 : await treeCpuSeconds(postgresPid), machine: await machineCpu() };
  const drained = await measureDriver(() => drain(kiosks, route, settings.batchSize));
  const after = { hub: await hubCpu(), pg: postgresPid === null ? 0 : await treeCpuSeconds(postgresPid), machine: await machineCpu() };
  const wall = drained.wallS;
  const drainResult = drained.result;

  const steadyRun = await measureDriver(() => steady(kiosks, route, { periodMs: settings.pullMs, eventsPerCycle: settings.steadyEvents, admin, fanoutTimeoutMs: Math.max(30_000, 10 * settings.pullMs) }));
  const steadyResult = steadyRun.result;
  const seen = steadyResult.seenAfterS.filter((s): s is number => s !== null);
  const check = await readBack(admin, kiosks);
  const rejected = kiosks.reduce((sum, k) => sum + k.rejected.length, 0);
  const rss = await Promise.all(hubs.map((h) => peakRssMb(h.pid)));
  return {
    events_per_s: Math.round(drainResult.events / drainResult.seconds),
    push_p99_ms: round(percentile(steadyResult.latencies, 0.99)),
    roster_fanout_s: seen.length === kiosks.length ? round(Math.max(...seen), 2) : null,
    hub_rss_mb: Math.max(...rss),
    pull_interval_ms: settings.pullMs,
    exact: check.missing === 0 && check.duplicated === 0 && check.out_of_order === 0 && rejected === 0,
    drain: {
      events: drainResult.events,
      seconds: round(drainResult.seconds, 2),
      pushes: drainResult.pushes,
      batch: settings.batchSize,
      push_p50_ms: round(percentile(drainResult.latencies, 0.5)),
      push_p99_ms: round(percentile(drainResult.latencies, 0.99)),
      unsettled_pushes: drainResult.unsettled,
      unsettled_sample: drainResult.errorSample,
      hub_cpu_share: round((after.hub - before.hub) / wall, 2),
      ...(postgresPid === null ? {} : { postgres_cpu_share: round((after.pg - before.pg) / wall, 2) }),
      machine_busy_share: round((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total), 2),
      ...drained.driver,
    },
    steady: {
      seconds: round(steadyResult.seconds, 1),
      events: steadyResult.events,
      offered_events_per_s: Math.round((kiosks.length * settings.steadyEvents * 1000) / settings.pullMs),
      pushes: steadyResult.pushes,
      push_p50_ms: round(percentile(steadyResult.latencies, 0.5)),
      pull_p99_ms: round(percentile(steadyResult.pullLatencies, 0.99)),
      fanout_p50_s: round(percentile(seen, 0.5), 2),
      kiosks_missing_change: kiosks.length - seen.length,
      unsettled_pushes: steadyResult.unsettled,
      failed_pulls: steadyResult.pullErrors,
      unsettled_sample: steadyResult.errorSample,
      ...steadyRun.driver,
    },
    setup: { first_contact_s: round(firstContactS, 1) },
    read_back: { ...check, rejected },
  };
}

async function benchSqlite(settings: BenchSettings): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-hub-'));
  const hub = await startHubChild({ sqlite: join(dir, 'hub.db') });
  let kiosks: SimulatedKiosk[] = [];
  try {
    await seedFanoutPerson(hub);
    const registered = await registerKiosks(hub, settings.devices, 'sq');
    kiosks = registered.kiosks;
    const result = await measure([hub], kiosks, settings, null);
    return { ...result, setup: { register_s: round(registered.seconds, 1), ...(result.setup as object) } };
  } finally {
    await Promise.all(kiosks.map((k) => k.close()));
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One hub on PostgreSQL, then two hubs on the same database (the kiosks carry on with their seqs). */
async function benchPostgres(settings: BenchSettings): Promise<{ one: Record<string, unknown>; two: Record<string, unknown> }> {
  const server = await startPostgres();
  const store: HubStore = { postgres: server.url };
  let kiosks: SimulatedKiosk[] = [];
  try {
    const postmaster = await postmasterPid(server.dataDir);
    const hub = await startHubChild(store);
    let one: Record<string, unknown>;
    try {
      await seedFanoutPerson(hub);
      const registered = await registerKiosks(hub, settings.devices, 'pg');
      kiosks = registered.kiosks;
      const result = await measure([hub], kiosks, settings, postmaster);
      one = { ...result, setup: { register_s: round(registered.seconds, 1), ...(result.setup as object) } };
    } finally {
      await hub.stop();
    }
    // Fresh connections: the second pair of hubs must verify each kiosk's token again.
    await Promise.all(kiosks.map((k) => k.close()));
    const pair = await Promise.all([startHubChild(store, hub.adminToken), startHubChild(store, hub.adminToken)]);
    try {
      return { one, two: await measure(pair, kiosks, settings, postmaster) };
    } finally {
      await Promise.all(pair.map((h) => h.stop()));
    }
  } finally {
    await Promise.all(kiosks.map((k) => k.close()));
    await server.stop();
  }
}

/** The server's main process (its backends are its children): the bench adds up their CPU time. */
async function postmasterPid(dataDir: string): Promise<number> {
  const text = await readFile(join(dataDir, 'data', 'postmaster.pid'), 'utf8');
  return Number(text.split('\n')[0]);
}

export async function run(): Promise<object> {
  const settings = settingsFromEnv();
  const sqlite = await benchSqlite(settings);
  const pg = process.env.HUB_BENCH_SKIP_POSTGRES === '1' ? null : await benchPostgres(settings);
  const postgres = pg?.one ?? null;
  const twoHubs = pg?.two ?? null;
  const pgEvents = (postgres?.events_per_s as number | undefined) ?? 0;
  const twoEvents = (twoHubs?.events_per_s as number | undefined) ?? 0;
  return {
    machine: '2 shared cores; hubs, PostgreSQL and the kiosk driver on the same machine',
    method: {
      events_per_s: 'backlog drain: every kiosk pushes events_per_device at once in batches of `batch`, first push sent to last answer',
      push_p99_ms: 'steady phase: each kiosk makes steady_events_per_pull events, pushes them and pulls the roster every pull_interval_ms (drain.push_p99_ms is queueing behind 500 concurrent pushes)',
      roster_fanout_s: 'steady phase: from sending one admin change until the last kiosk pull that returned it',
      hub_rss_mb: "the hub process's VmHWM (the larger of two hubs)",
      unsettled_pushes: 'pushes not answered 200, by status (503: the hub had no free database connection and said when to retry; the kiosk retried then); events_per_s includes those retries',
      driver: 'driver_cpu_share is the bench process CPU over wall time (1.0 = one core): well under 1 means the kiosks are not the bottleneck',
    },
    settings: { devices: settings.devices, events_per_device: settings.eventsPerDevice, batch: settings.batchSize, pull_interval_ms: settings.pullMs, steady_events_per_pull: settings.steadyEvents },
    sqlite,
    postgres,
    postgres_two_hubs: twoHubs,
    postgres_two_hubs_events_per_s: twoHubs ? twoEvents : null,
    targets: {
      postgres_events_per_s: 10_000,
      postgres_meets: pgEvents >= 10_000,
      two_hubs_no_slower: twoHubs ? twoEvents >= pgEvents : null,
      roster_fanout_s: 5,
      fanout_meets: [sqlite, postgres, twoHubs].every((r) => r === null || (typeof r.roster_fanout_s === 'number' && r.roster_fanout_s <= 5)),
      every_event_stored_once_in_order: [sqlite, postgres, twoHubs].every((r) => r === null || r.exact === true),
    },
  };
}
