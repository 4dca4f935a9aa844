// PostgreSQL itself SIGKILLed mid-push and restarted under two running hub processes (issue 16):
// the same hub processes must come back by themselves, and every guarantee of multi-process.test.ts
// must hold after it (every event once, in seq order; the consumer missed none; every roster change
// pulled). ESIK_FAULT_RUNS (default 1) repeats it.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { expectEveryGuarantee, midPush, options, runs, withFleet } from './multi-process-checks.js';

let postgres: TempPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
});

describe('PostgreSQL crashing under hub processes', () => {
  for (let run = 1; run <= runs; run += 1) {
  it(`PostgreSQL SIGKILLed mid-push and restarted: the same hub processes recover by themselves (run ${run})`, async () => {
    await withFleet(postgres, async (fleet) => {
      const hubs = [...fleet.hubs];
      let pushesAtRestart = 0;
      await fleet.run(options, async () => {
        await midPush(fleet, null);
        await postgres.kill9();
        await sleep(1000);
        await postgres.restart();
        pushesAtRestart = fleet.pushes;
      });
      expect(fleet.failovers).toBeGreaterThan(0);
      expect(fleet.pushes).toBeGreaterThan(pushesAtRestart);
      // No hub was replaced, and both still run: they reconnected to the database on their own.
      expect(fleet.hubs.every((hub, i) => hub === hubs[i])).toBe(true);
      expect(hubs.map((h) => h.child.exitCode ?? h.child.signalCode)).toEqual([null, null]);
      await expectEveryGuarantee(fleet);
    });
  });
  }
});
