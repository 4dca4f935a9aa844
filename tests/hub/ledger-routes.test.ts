// The ledger's HTTP routes on a real hub on port 0: the admin token is checked before a body is
// read; bodies are bounded; a transfer is 201 once and 200 on a replay, 409 under a used id with
// other content or below a floor; amounts that are not safe integers are refused as sent (a float,
// 1e21, a number JSON.parse already rounded); balances and statements by account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../hub/canteen/index.js';
import { HubDb } from '../../hub/db.js';
import { startInProcessHub, tempDir, type InProcessHub } from '../sync/helpers.js';
import { join } from 'node:path';

let hub: InProcessHub;
let ledgerDb: HubDb;
let cleanup: () => Promise<void>;

async function call(method: string, path: string, body?: string, token: string | null = hub.adminToken): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const post = (path: string, body: unknown): ReturnType<typeof call> => call('POST', path, JSON.stringify(body));
const topUp = (id: string, amountTiyn: unknown): Record<string, unknown> => ({ id, debitAccountId: 'cash', creditAccountId: 'child-1', amountTiyn, kind: 'top_up' });

describe('canteen ledger routes', () => {
  beforeAll(async () => {
    const tmp = await tempDir('esik-ledger-routes-');
    ledgerDb = await HubDb.open(join(tmp.dir, 'ledger.db'));
    const ledger = await openSqliteLedger(ledgerDb, { offlineAllowanceTiyn: 50_000 });
    hub = await startInProcessHub({ canteen: { ledger } });
    cleanup = tmp.cleanup;
    expect((await post('/v1/admin/canteen/accounts', { id: 'cash', kind: 'cash', floorTiyn: null })).status).toBe(201);
    expect((await post('/v1/admin/canteen/accounts', { id: 'revenue', kind: 'revenue', floorTiyn: null })).status).toBe(201);
    expect((await post('/v1/admin/canteen/accounts', { id: 'child-1', kind: 'person', personId: 'p-1', floorTiyn: 0 })).status).toBe(201);
  });
  afterAll(async () => {
    await hub.close();
    await ledgerDb.close();
    await cleanup();
  });

  it('refuses a request without the admin token before reading its body, and a body past the limit', async () => {
    // 401 rather than 413 for the oversized body: the token is checked before the body is looked at.
    const huge = JSON.stringify({ ...topUp('x', 1), note: 'x'.repeat(4 * 1024 * 1024) });
    expect(await call('POST', '/v1/admin/canteen/transfers', huge, null)).toMatchObject({ status: 401 });
    expect(await call('POST', '/v1/admin/canteen/transfers', JSON.stringify(topUp('x', 1)), 'wrong-token-wrong-token')).toMatchObject({ status: 401 });
    expect(await call('GET', '/v1/admin/canteen/accounts/child-1', undefined, null)).toMatchObject({ status: 401 });
    expect(await call('POST', '/v1/admin/canteen/transfers', huge)).toMatchObject({ status: 413, json: { error: 'too_large' } });
    expect((await call('GET', '/v1/admin/canteen/accounts/child-1')).json).toMatchObject({ balanceTiyn: 0 });
  });

  it('applies a transfer once: 201, then 200 for the replay, 409 for other content under the id', async () => {
    const first = await post('/v1/admin/canteen/transfers', topUp('receipt-1', 150_000));
    expect(first).toMatchObject({ status: 201, json: { status: 'applied', transfer: { id: 'receipt-1', amountTiyn: 150_000, creditBalanceAfterTiyn: 150_000 } } });
    expect(await post('/v1/admin/canteen/transfers', topUp('receipt-1', 150_000))).toMatchObject({ status: 200, json: { status: 'duplicate', transfer: first.json.transfer } });
    expect(await post('/v1/admin/canteen/transfers', topUp('receipt-1', 150_001))).toMatchObject({ status: 409, json: { error: 'id_conflict' } });
    expect((await call('GET', '/v1/admin/canteen/accounts/child-1')).json).toMatchObject({ balanceTiyn: 150_000 });
    expect((await call('GET', '/v1/admin/canteen/transfers/receipt-1')).json).toMatchObject({ amountTiyn: 150_000 });
  });

  it('refuses amounts that are not safe integers, unknown fields, and charges below the floor', async () => {
    for (const amount of [1.5, 0, -5, '100', 1e21]) {
      expect(await post('/v1/admin/canteen/transfers', topUp('bad', amount))).toMatchObject({ status: 400, json: { error: 'invalid_payload' } });
    }
    const rounded = JSON.stringify(topUp('bad', 1)).replace('"amountTiyn":1', '"amountTiyn":9007199254740993');
    expect(await call('POST', '/v1/admin/canteen/transfers', rounded)).toMatchObject({ status: 400 });
    expect(await post('/v1/admin/canteen/transfers', { ...topUp('bad', 1), balance: 5 })).toMatchObject({ status: 400 });
    const charge = { id: 'meal-1', debitAccountId: 'child-1', creditAccountId: 'revenue', amountTiyn: 150_001, kind: 'charge' };
    expect(await post('/v1/admin/canteen/transfers', charge)).toMatchObject({ status: 409, json: { error: 'exceeds_floor' } });
    expect(await post('/v1/admin/canteen/transfers', { ...charge, offlineCharge: true })).toMatchObject({ status: 201 });
    expect(await post('/v1/admin/canteen/transfers', { ...charge, id: 'meal-2', amountTiyn: 50_000, offlineCharge: true })).toMatchObject({ status: 409, json: { error: 'exceeds_offline_allowance' } });
    expect(await call('GET', '/v1/admin/canteen/transfers/bad')).toMatchObject({ status: 404 });
  });

  it("serves an account's statement in pages, and 404 for an unknown account", async () => {
    const page = await call('GET', '/v1/admin/canteen/accounts/child-1/statement?limit=1');
    expect(page).toMatchObject({ status: 200, json: { account: { id: 'child-1', balanceTiyn: -1 }, more: true, entries: [{ transferId: 'receipt-1', amountTiyn: 150_000, balanceAfterTiyn: 150_000 }] } });
    const next = await call('GET', `/v1/admin/canteen/accounts/child-1/statement?after=${String(page.json.next)}`);
    expect(next.json).toMatchObject({ more: false, entries: [{ transferId: 'meal-1', amountTiyn: -150_001, balanceAfterTiyn: -1 }] });
    expect(await call('GET', '/v1/admin/canteen/accounts/nobody/statement')).toMatchObject({ status: 404 });
    expect(await call('GET', '/v1/admin/canteen/accounts/child-1/statement?limit=100000')).toMatchObject({ status: 400 });
  });
});
