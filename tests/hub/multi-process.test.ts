// Several hub processes on one PostgreSQL keep every guarantee (issue 16), with real processes:
// kiosks alternate between two hubs while pushing; a hub is SIGKILLed mid-push, the kiosks go on
// through the other, and a new hub joins. Meanwhile two roster writers change people through both
// hubs and a consumer pages the event read API. After each run: every event stored exactly once,
// in seq order per device; the consumer saw each exactly once, in hub order; no seq alarm; every
// kiosk's roster equals the hubs'. ESIK_FAULT_RUNS (default 1) repeats the fault;
// ESIK_FAULT_DEVICES (6) and ESIK_FAULT_ROUNDS (25) size the load.
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

describe('hub processes sharing one PostgreSQL', () => {
  it('kiosks alternating between two hubs while pushing: every event once, in seq order, every roster change pulled', async () => {
    await withFleet(postgres, async (fleet) => {
      await fleet.run(options, () => Promise.resolve());
      expect(fleet.rosterWrites).toBeGreaterThan(20);
      await expectEveryGuarantee(fleet);
    });
  });

  for (let run = 1; run <= runs; run += 1) {
    it(`a hub SIGKILLed mid-push: the kiosks go on through the other, then a new hub joins (run ${run})`, async () => {
      await withFleet(postgres, async (fleet) => {
        await fleet.run(options, async () => {
          const victim = fleet.hubs[0];
          await midPush(fleet, victim);
          await victim.kill9();
          await sleep(500);
          await fleet.replace(0);
        });
        expect(fleet.failovers).toBeGreaterThan(0);
        await expectEveryGuarantee(fleet);
      });
    });
  }
});
