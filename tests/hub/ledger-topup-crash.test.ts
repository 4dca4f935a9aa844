// A hub crash during top-ups, on SQLite and on PostgreSQL: a cashier's client posts top-ups to a
// real hub process (hub/main.ts), the process is SIGKILLed while they are in flight, and the client
// then sends every top-up again with the same ids to a hub restarted on the same database, as a
// cashier would after a timeout. Each top-up is applied exactly once: the child's balance is the sum
// of the amounts, the statement holds each id once, the ledger sums to zero. Rounds:
// ESIK_TOPUP_CRASH_ROUNDS (default 2).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminOk, adminRequest, startHubChild, type HubChild, type HubStore } from '../../bench/_hub-bench-process.js';
import type { AccountBalance, StatementPage } from '../../hub/canteen/index.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';

const ROUNDS = Number(process.env.ESIK_TOPUP_CRASH_ROUNDS ?? 2);
const PER_ROUND = 40;

interface TopUp {
  id: string;
  kind: 'top_up';
  debitAccountId: string;
  creditAccountId: string;
  amountTiyn: number;
}

function topUps(round: number): TopUp[] {
  return Array.from({ length: PER_ROUND }, (_, n) => ({ id: `topup-${round}-${n}`, kind: 'top_up', debitAccountId: 'cash', creditAccountId: 'child', amountTiyn: 10_000 + round * 1000 + n }));
}

/** Posts every top-up at once; the ones cut off by the crash come back as null. */
async function postAll(hub: HubChild, transfers: readonly TopUp[]): Promise<Array<number | null>> {
  return Promise.all(transfers.map((t) => adminRequest(hub, 'POST', '/v1/admin/canteen/transfers', t).then((a) => a.status, () => null)));
}

const stores: Array<[string, () => Promise<{ store: HubStore; close: () => Promise<void> }>]> = [
  ['sqlite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esik-topup-crash-'));
    return { store: { sqlite: join(dir, 'hub.db') }, close: () => rm(dir, { recursive: true, force: true }) };
  }],
  ['postgres', async () => {
    const server: TempPostgres = await startPostgres();
    return { store: { postgres: await server.createDatabase() }, close: () => server.stop() };
  }],
];

describe.each(stores)('a hub crash during top-ups: %s', (_name, makeStore) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('applies every top-up exactly once across kills and replays', async () => {
    const { store, close } = await makeStore();
    cleanups.push(close);
    const token = randomBytes(24).toString('base64url');
    let hub = await startHubChild(store, token);
    cleanups.push(() => hub.stop());
    await adminOk(hub, 'POST', '/v1/admin/canteen/accounts', { id: 'cash', kind: 'cash', floorTiyn: null });
    await adminOk(hub, 'POST', '/v1/admin/canteen/accounts', { id: 'child', kind: 'person', personId: 'p-1', floorTiyn: 0 });
    const all: TopUp[] = [];
    let cutOff = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const batch = topUps(round);
      all.push(...batch);
      const posting = postAll(hub, batch);
      // Killed while the posts are in flight: some applied and answered, some applied and not, some never.
      await new Promise((resolve) => setTimeout(resolve, 15 + round * 10));
      await hub.kill9();
      cutOff += (await posting).filter((s) => s === null).length;
      hub = await startHubChild(store, token);
      // The cashier's retry: everything again, same ids. New ones apply (201), the rest are replays (200).
      const again = await postAll(hub, all);
      expect(again.every((s) => s === 200 || s === 201)).toBe(true);
      const replayAgain = await postAll(hub, all);
      expect(replayAgain.every((s) => s === 200)).toBe(true);
    }
    expect(cutOff).toBeGreaterThan(0); // the kill did cut posts off, or this round tested nothing

    const child = await adminOk<AccountBalance>(hub, 'GET', '/v1/admin/canteen/accounts/child');
    const cash = await adminOk<AccountBalance>(hub, 'GET', '/v1/admin/canteen/accounts/cash');
    const total = all.reduce((sum, t) => sum + t.amountTiyn, 0);
    expect(child.balanceTiyn).toBe(total);
    expect(cash.balanceTiyn + child.balanceTiyn).toBe(0);
    const statement = await adminOk<StatementPage>(hub, 'GET', '/v1/admin/canteen/accounts/child/statement?limit=1000');
    const ids = statement.entries.map((e) => e.transferId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(all.map((t) => t.id).sort());
  }, 240_000);
});
