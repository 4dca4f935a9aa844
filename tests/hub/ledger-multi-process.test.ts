// Two real hub processes (hub/main.ts) on one PostgreSQL database, transfers posted to both at once
// over HTTP: the same accounts from both sides, and the same transfer ids replayed through both.
// Balances end exactly at the applied amounts, each id is applied once, the sum is zero, floors
// hold within the allowance, and every statement chains to its balance.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOk, adminRequest, startHubChild, type HubChild } from '../../bench/_hub-bench-process.js';
import type { AccountBalance, StatementPage, StoredTransfer } from '../../hub/canteen/index.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';

const ALLOWANCE = 100_000; // the hub's default offline allowance

describe('canteen ledger: two hub processes on one PostgreSQL', () => {
  let server: TempPostgres;
  let hubs: HubChild[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    const token = randomBytes(24).toString('base64url');
    hubs = await Promise.all([startHubChild({ postgres: url }, token), startHubChild({ postgres: url }, token)]);
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.stop();
    await server?.stop();
  });

  it('applies each transfer once and keeps balances exact under concurrent posts to both hubs', async () => {
    const [a, b] = hubs as [HubChild, HubChild];
    for (const body of [{ id: 'cash', kind: 'cash', floorTiyn: null }, { id: 'revenue', kind: 'revenue', floorTiyn: null }, { id: 'child-0', kind: 'person', personId: 'p-0', floorTiyn: 0 }, { id: 'child-1', kind: 'person', personId: 'p-1', floorTiyn: 0 }]) {
      await adminOk(a, 'POST', '/v1/admin/canteen/accounts', body);
    }
    const transfers = Array.from({ length: 120 }, (_, n) => {
      const child = `child-${n % 2}`;
      if (n % 3 === 0) return { id: `t-${n}`, kind: 'top_up', debitAccountId: 'cash', creditAccountId: child, amountTiyn: 40_000 + n };
      return { id: `t-${n}`, kind: 'charge', debitAccountId: child, creditAccountId: 'revenue', amountTiyn: 25_000 + n, offlineCharge: n % 5 === 0 };
    });
    // Every transfer goes to both hubs at once: one applies it, the other answers with the replay.
    const answers = await Promise.all(transfers.flatMap((t) => [adminRequest(a, 'POST', '/v1/admin/canteen/transfers', t), adminRequest(b, 'POST', '/v1/admin/canteen/transfers', t)]));
    const unexpected = answers.filter((x) => ![200, 201, 409].includes(x.status) || (x.status === 409 && !['exceeds_floor', 'exceeds_offline_allowance'].includes((x.body as { error: string }).error)));
    expect(unexpected).toEqual([]);
    const applied = new Map<string, StoredTransfer>();
    for (const answer of answers.filter((x) => x.status === 201)) {
      const { transfer } = answer.body as { transfer: StoredTransfer };
      expect(applied.has(transfer.id)).toBe(false);
      applied.set(transfer.id, transfer);
    }
    for (let i = 0; i < transfers.length; i++) {
      const pair = [answers[2 * i], answers[2 * i + 1]].map((x) => x.status).sort();
      // [201, 409] is right too: the refused copy ran first, before a top-up from the other side.
      expect([[200, 201], [201, 409], [409, 409]]).toContainEqual(pair);
    }
    const expected = new Map<string, number>();
    for (const t of applied.values()) {
      expected.set(t.debitAccountId, (expected.get(t.debitAccountId) ?? 0) - t.amountTiyn);
      expected.set(t.creditAccountId, (expected.get(t.creditAccountId) ?? 0) + t.amountTiyn);
    }
    let sum = 0;
    for (const id of ['cash', 'revenue', 'child-0', 'child-1']) {
      const account = await adminOk<AccountBalance>(b, 'GET', `/v1/admin/canteen/accounts/${id}`);
      expect([id, account.balanceTiyn]).toEqual([id, expected.get(id) ?? 0]);
      if (account.floorTiyn !== null) expect(account.balanceTiyn).toBeGreaterThanOrEqual(account.floorTiyn - ALLOWANCE);
      sum += account.balanceTiyn;
      const page = await adminOk<StatementPage>(a, 'GET', `/v1/admin/canteen/accounts/${id}/statement?limit=1000`);
      let running = 0;
      for (const entry of page.entries) expect(entry.balanceAfterTiyn).toBe((running += entry.amountTiyn));
      expect(running).toBe(account.balanceTiyn);
    }
    expect(sum).toBe(0);
    expect(applied.size).toBeGreaterThan(40);
  });
});
