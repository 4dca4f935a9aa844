// The phases of the hub bench, over simulated kiosks already registered on one or more hubs:
// first contact (each kiosk's token verified once), a backlog drain (every kiosk pushes its backlog
// at once, as after a district-wide outage), a steady phase (each kiosk pushes and pulls every P ms)
// with one roster change timed until every kiosk has pulled it, and the read-back check.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminOk, eachLimited } from './_hub-bench-process.js';
import type { SimulatedKiosk } from './_hub-bench-kiosk.js';

export interface HubTarget {
  url: string;
  adminToken: string;
}

/** The hub a kiosk talks to: a fixed one in the bench. */
export type Route = (kiosk: SimulatedKiosk, index: number) => string;

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** What the driver (this process) cost while it drove the load: if it ran near a full core, it may be the bottleneck. */
export interface DriverLoad {
  driver_cpu_s: number;
  /** Driver CPU time over wall time: 1.0 is one core busy all the time. */
  driver_cpu_share: number;
  driver_event_loop_delay_p99_ms: number;
}

export async function measureDriver<T>(work: () => Promise<T>): Promise<{ result: T; wallS: number; driver: DriverLoad }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  delay.disable();
  const cpuS = (used.user + used.system) / 1e6;
  return { result, wallS, driver: { driver_cpu_s: round(cpuS, 2), driver_cpu_share: round(cpuS / wallS, 2), driver_event_loop_delay_p99_ms: round(delay.percentile(99) / 1e6) } };
}

/**
 * First contact: one roster pull per kiosk, at most `perHub` at a time per hub. The hub verifies a
 * token with scrypt once (then caches it) and answers 503 beyond four waiting verifications, so
 * the bench does not flood it; a 503 is waited out and tried again.
 */
export async function firstContact(kiosks: readonly SimulatedKiosk[], route: Route, perHub = 4): Promise<void> {
  const byHub = new Map<string, Array<{ kiosk: SimulatedKiosk; index: number }>>();
  kiosks.forEach((kiosk, index) => {
    const url = route(kiosk, index);
    byHub.set(url, [...(byHub.get(url) ?? []), { kiosk, index }]);
  });
  await Promise.all(
    [...byHub.entries()].map(([url, members]) =>
      eachLimited(members, perHub, async ({ kiosk }) => {
        for (let attempt = 0; ; attempt += 1) {
          const pulled = await kiosk.pull(url);
          if (pulled.status === 200) return;
          if (attempt >= 20 || (pulled.status !== 503 && pulled.status !== 429)) throw new Error(`first contact of ${kiosk.id} with ${url}: ${pulled.status}`);
          await sleep(1000);
        }
      }),
    ),
  );
}

export interface PushStats {
  pushes: number;
  latencies: number[];
  /** Pushes that did not settle, by cause: an HTTP status (503: the hub was busy and said when to retry), 'deferred' or 'network'. */
  unsettled: Record<string, number>;
  errorSample: string[];
}

function newStats(): PushStats {
  return { pushes: 0, latencies: [], unsettled: {}, errorSample: [] };
}

function noteError(stats: PushStats, cause: string, what: string): void {
  stats.unsettled[cause] = (stats.unsettled[cause] ?? 0) + 1;
  if (stats.errorSample.length < 5) stats.errorSample.push(what.slice(0, 200));
}

/** How long a kiosk keeps retrying a hub that refuses or fails before the bench gives up (its events then count as missing). */
const GIVE_UP_MS = 120_000;

/** Pushes until the kiosk's outbox is empty, waiting out refusals; the stats count every attempt. */
async function pushAll(kiosk: SimulatedKiosk, url: string, batchSize: number, stats: PushStats): Promise<void> {
  let failingSince: number | null = null;
  while (kiosk.pending.length > 0) {
    if (failingSince !== null && performance.now() - failingSince > GIVE_UP_MS) return;
    try {
      const outcome = await kiosk.push(url, batchSize);
      if (outcome.status === 200 && outcome.deferred === 0) {
        failingSince = null;
        stats.pushes += 1;
        stats.latencies.push(outcome.latencyMs);
        continue;
      }
      failingSince ??= performance.now();
      noteError(stats, outcome.status === 200 ? 'deferred' : String(outcome.status), `${kiosk.id}: status ${outcome.status}, deferred ${outcome.deferred}`);
      await sleep(1000 * (outcome.retryAfterS ?? 0.2));
    } catch (error) {
      failingSince ??= performance.now();
      noteError(stats, 'network', `${kiosk.id}: ${error instanceof Error ? error.message : String(error)}`);
      await sleep(200);
    }
  }
}

export interface DrainResult extends PushStats {
  events: number;
  seconds: number;
}

/** Every kiosk pushes its whole backlog at once, in batches of `batchSize`: the measured throughput. */
export async function drain(kiosks: readonly SimulatedKiosk[], route: Route, batchSize: number): Promise<DrainResult> {
  const events = kiosks.reduce((sum, k) => sum + k.pending.length, 0);
  const stats = newStats();
  const started = performance.now();
  await Promise.all(kiosks.map((kiosk, index) => pushAll(kiosk, route(kiosk, index), batchSize, stats)));
  return { ...stats, events, seconds: (performance.now() - started) / 1000 };
}

export interface SteadyOptions {
  periodMs: number;
  eventsPerCycle: number;
  /** Where the roster change is made (any hub: they share the storage). */
  admin: HubTarget;
  /** How long to wait for every kiosk to see the change before calling it missed. */
  fanoutTimeoutMs: number;
}

export interface SteadyResult extends PushStats {
  seconds: number;
  events: number;
  pullLatencies: number[];
  pullErrors: number;
  /** Seconds from the admin call to each kiosk's first pull that held the change (null: never seen). */
  seenAfterS: Array<number | null>;
}

const FANOUT_PERSON = 'bench-fanout-person';

/** The person whose change is timed; upserted before first contact so every kiosk starts with it. */
export async function seedFanoutPerson(admin: HubTarget): Promise<void> {
  await adminOk(admin, 'PUT', `/v1/admin/people/${FANOUT_PERSON}`, { name: 'Fan-out check, before' });
}

function holdsMarker(changes: ReadonlyArray<{ op: string; type: string; data?: unknown }>, marker: string): boolean {
  return changes.some((c) => c.op === 'upsert' && c.type === 'person' && (c.data as { id: string; name: string }).id === FANOUT_PERSON && (c.data as { name: string }).name === marker);
}

/**
 * Each kiosk, every `periodMs` from a random phase: makes a few events, pushes them, pulls the
 * roster. After two periods the roster change is made; the phase ends when every kiosk has seen it
 * (or the timeout passes), then whatever is still queued is pushed.
 */
export async function steady(kiosks: readonly SimulatedKiosk[], route: Route, options: SteadyOptions): Promise<SteadyResult> {
  const result: SteadyResult = { ...newStats(), seconds: 0, events: 0, pullLatencies: [], pullErrors: 0, seenAfterS: kiosks.map(() => null) };
  const marker = `Fan-out check ${Date.now()}`;
  let changedAt: number | null = null;
  let running = true;
  const started = performance.now();
  const cycle = async (kiosk: SimulatedKiosk, index: number): Promise<void> => {
    const url = route(kiosk, index);
    await sleep(Math.random() * options.periodMs);
    for (let tick = performance.now(); running; tick += options.periodMs) {
      kiosk.enqueue(options.eventsPerCycle);
      result.events += options.eventsPerCycle;
      await pushAll(kiosk, url, 500, result);
      try {
        const pulled = await kiosk.pull(url);
        if (pulled.status === 200) result.pullLatencies.push(pulled.latencyMs);
        else result.pullErrors += 1;
        if (changedAt !== null && result.seenAfterS[index] === null && holdsMarker(pulled.changes, marker)) result.seenAfterS[index] = (performance.now() - changedAt) / 1000;
      } catch {
        result.pullErrors += 1;
      }
      await sleep(Math.max(0, tick + options.periodMs - performance.now()));
    }
  };
  const loops = Promise.all(kiosks.map((kiosk, index) => cycle(kiosk, index)));
  await sleep(2 * options.periodMs);
  changedAt = performance.now();
  await adminOk(options.admin, 'PUT', `/v1/admin/people/${FANOUT_PERSON}`, { name: marker });
  const deadline = changedAt + options.fanoutTimeoutMs;
  while (result.seenAfterS.some((s) => s === null) && performance.now() < deadline) await sleep(50);
  running = false;
  await loops;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

export interface ReadBack {
  stored: number;
  /** Events a kiosk made that the hub does not hold. */
  missing: number;
  /** A (device, seq) stored more than once. */
  duplicated: number;
  /** A device's seq that did not follow the one before it in the hub's order. */
  out_of_order: number;
  /** Rows the read API passed over as unreadable. */
  skipped: number;
  seconds: number;
}

/** Reads every event back through the read API and checks each device's seqs are exactly 1..made, in order. */
export async function readBack(admin: HubTarget, kiosks: readonly SimulatedKiosk[]): Promise<ReadBack> {
  const started = performance.now();
  const seen = new Map<string, { last: number; seqs: Set<number> }>();
  const check: ReadBack = { stored: 0, missing: 0, duplicated: 0, out_of_order: 0, skipped: 0, seconds: 0 };
  for (let after = 0; ; ) {
    const page = await adminOk<{ events: Array<{ deviceId: string; event: { seq: number } }>; skipped: unknown[]; next: number; more: boolean }>(admin, 'GET', `/v1/events?after=${after}&limit=5000`);
    check.skipped += page.skipped.length;
    for (const { deviceId, event } of page.events) {
      const device = seen.get(deviceId) ?? { last: 0, seqs: new Set<number>() };
      seen.set(deviceId, device);
      check.stored += 1;
      if (device.seqs.has(event.seq)) check.duplicated += 1;
      else if (event.seq !== device.last + 1) check.out_of_order += 1;
      device.seqs.add(event.seq);
      device.last = Math.max(device.last, event.seq);
    }
    after = page.next;
    if (!page.more) break;
  }
  for (const kiosk of kiosks) {
    const seqs = seen.get(kiosk.id)?.seqs ?? new Set<number>();
    for (let seq = 1; seq <= kiosk.made; seq += 1) if (!seqs.has(seq)) check.missing += 1;
  }
  check.seconds = round((performance.now() - started) / 1000, 2);
  return check;
}
