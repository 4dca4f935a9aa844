// What the multi-process tests share: their sizes (from the environment), a throwaway PostgreSQL per
// file, the wait for a push in flight, and the guarantees checked after every run.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { readBack } from '../../bench/_hub-bench-load.js';
import { adminOk, type HubChild } from '../../bench/_hub-bench-process.js';
import type { TempPostgres } from '../helpers/postgres.js';
import { Fleet, type FleetOptions } from './multi-process-fleet.js';

export const runs = Number(process.env.ESIK_FAULT_RUNS ?? 1);
export const options: FleetOptions = { devices: Number(process.env.ESIK_FAULT_DEVICES ?? 6), rounds: Number(process.env.ESIK_FAULT_ROUNDS ?? 25), roundPauseMs: 30 };

export async function until(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Waits until the fleet is a third of the way through its pushes and a push to `hub` (or any hub) is in flight. */
export async function midPush(fleet: Fleet, hub: HubChild | null): Promise<void> {
  await until(() => fleet.pushes >= (options.devices * options.rounds) / 3, 'a third of the pushes');
  await until(() => (hub ? fleet.inFlight(hub.url) : fleet.hubs.reduce((n, h) => n + fleet.inFlight(h.url), 0)) > 0, 'a push in flight');
}

/** The guarantees, checked through the hubs' own APIs. */
export async function expectEveryGuarantee(fleet: Fleet): Promise<void> {
  const made = fleet.kiosks.reduce((sum, k) => sum + k.made, 0);
  expect(fleet.kiosks.map((k) => k.pending.length)).toEqual(fleet.kiosks.map(() => 0));
  expect(fleet.kiosks.flatMap((k) => k.rejected)).toEqual([]);

  const admin = { url: (fleet.hubs[1]).url, adminToken: fleet.adminToken };
  const stored = await readBack(admin, fleet.kiosks);
  expect(stored).toMatchObject({ stored: made, missing: 0, duplicated: 0, out_of_order: 0, skipped: 0 });

  // The consumer paged while events were being written by two processes: it must have missed none.
  const consumedKeys = fleet.consumed.map((e) => `${e.deviceId}#${e.seq}`);
  expect(new Set(consumedKeys).size).toBe(consumedKeys.length);
  expect(consumedKeys.length).toBe(made);
  const hubSeqs = fleet.consumed.map((e) => e.hubSeq);
  expect(hubSeqs.every((seq, i) => i === 0 || seq > (hubSeqs[i - 1]))).toBe(true);

  const alarms = await adminOk<{ alarms: unknown[] }>(admin, 'GET', '/v1/admin/alarms?limit=1000');
  expect(alarms.alarms).toEqual([]);

  const truth = await fleet.hubRoster();
  expect(truth.size).toBeGreaterThan(10);
  for (const kiosk of fleet.kiosks) expect({ kiosk: kiosk.id, roster: new Map(kiosk.roster) }).toEqual({ kiosk: kiosk.id, roster: truth });
}

/** A fleet on a fresh database of `postgres`, stopped whatever happens. */
export async function withFleet(postgres: TempPostgres, work: (fleet: Fleet) => Promise<void>): Promise<void> {
  const fleet = await Fleet.start(await postgres.createDatabase(), options.devices);
  try {
    await work(fleet);
  } finally {
    await fleet.stop();
  }
}
