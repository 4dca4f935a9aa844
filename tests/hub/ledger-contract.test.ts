// The canteen ledger by example, on SQLite and on a real PostgreSQL: top-ups, charges, refunds and
// corrections move integer tiyn between two accounts; a replay changes nothing and a different
// transfer under a used id is refused; floors hold, and an offline-till charge passes one by at
// most the allowance; statements carry each entry's balance; the schema refuses edits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CanteenLedger, TransferInput } from '../../hub/canteen/index.js';
import { ledgerBackends, openSchool, type LedgerBackend, type LedgerHandle } from './ledger-backends.js';

let counter = 0;
function transfer(overrides: Partial<TransferInput>): TransferInput {
  return { id: `t-${++counter}`, debitAccountId: 'cash', creditAccountId: 'child-0', amountTiyn: 100_000, kind: 'top_up', offlineCharge: false, reference: null, note: null, ...overrides };
}

async function balance(ledger: CanteenLedger, id: string): Promise<number | undefined> {
  return (await ledger.account(id))?.balanceTiyn;
}

describe.each(ledgerBackends)('canteen ledger: %s', (_name, makeBackend) => {
  const backend: LedgerBackend = makeBackend();
  const opened: LedgerHandle[] = [];
  const open = async (sameAs?: LedgerHandle): Promise<LedgerHandle> => {
    const handle = await backend.open(sameAs);
    opened.push(handle);
    return handle;
  };
  beforeAll(() => backend.start());
  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
  });
  afterAll(() => backend.stop());

  it('tops up, charges, refunds and corrects; balances are credits minus debits and sum to zero', async () => {
    const { ledger } = await open();
    await openSchool(ledger, 2);
    expect((await ledger.apply(transfer({ amountTiyn: 200_000 }), 1000)).status).toBe('applied');
    await ledger.apply(transfer({ kind: 'charge', debitAccountId: 'child-0', creditAccountId: 'revenue', amountTiyn: 95_000 }), 2000);
    await ledger.apply(transfer({ kind: 'charge', debitAccountId: 'subsidy', creditAccountId: 'revenue', amountTiyn: 95_000 }), 2000);
    await ledger.apply(transfer({ kind: 'refund', debitAccountId: 'revenue', creditAccountId: 'child-0', amountTiyn: 25_000 }), 3000);
    await ledger.apply(transfer({ kind: 'correction', debitAccountId: 'child-0', creditAccountId: 'child-1', amountTiyn: 30_000, note: 'top-up went to the sibling' }), 4000);
    expect(await balance(ledger, 'child-0')).toBe(100_000);
    expect(await balance(ledger, 'child-1')).toBe(30_000);
    expect(await balance(ledger, 'revenue')).toBe(165_000);
    expect(await balance(ledger, 'cash')).toBe(-200_000);
    expect(await balance(ledger, 'subsidy')).toBe(-95_000);
    const all = await ledger.accounts('', 100);
    expect(all.reduce((sum, a) => sum + a.balanceTiyn, 0)).toBe(0);
    expect(await ledger.account('child-0')).toMatchObject({ kind: 'person', personId: 'p-0', floorTiyn: 0, debitsPostedTiyn: 125_000, creditsPostedTiyn: 225_000 });
  });

  it('applies a transfer once: the same id again is a duplicate, the same id with other content is refused', async () => {
    const { ledger } = await open();
    await openSchool(ledger, 1);
    const topUp = transfer({ id: 'receipt-42', amountTiyn: 50_000 });
    const first = await ledger.apply(topUp, 1000);
    const again = await ledger.apply({ ...topUp }, 9000);
    expect(again).toEqual({ status: 'duplicate', transfer: first.transfer });
    expect(await balance(ledger, 'child-0')).toBe(50_000);
    await expect(ledger.apply({ ...topUp, amountTiyn: 50_001 }, 9000)).rejects.toMatchObject({ code: 'id_conflict', status: 409 });
    await expect(ledger.apply({ ...topUp, creditAccountId: 'revenue', kind: 'correction' }, 9000)).rejects.toMatchObject({ code: 'id_conflict' });
    expect(await balance(ledger, 'child-0')).toBe(50_000);
    expect((await ledger.transfer('receipt-42'))?.amountTiyn).toBe(50_000);
  });

  it('holds the floor, and lets an offline-till charge pass it by at most the allowance', async () => {
    const { ledger } = await open();
    await openSchool(ledger, 1);
    await ledger.apply(transfer({ amountTiyn: 30_000 }), 1000);
    const charge = (amountTiyn: number, offlineCharge: boolean): TransferInput => transfer({ kind: 'charge', debitAccountId: 'child-0', creditAccountId: 'revenue', amountTiyn, offlineCharge });
    await expect(ledger.apply(charge(30_001, false), 2000)).rejects.toMatchObject({ code: 'exceeds_floor' });
    await expect(ledger.apply(charge(80_001, true), 2000)).rejects.toMatchObject({ code: 'exceeds_offline_allowance' });
    await ledger.apply(charge(60_000, true), 2000);
    expect(await balance(ledger, 'child-0')).toBe(-30_000);
    await expect(ledger.apply(charge(20_001, true), 2000)).rejects.toMatchObject({ code: 'exceeds_offline_allowance' });
    await expect(ledger.apply(charge(1, false), 2000)).rejects.toMatchObject({ code: 'exceeds_floor' });
    await ledger.apply(charge(20_000, true), 2000);
    expect(await balance(ledger, 'child-0')).toBe(-50_000);
    // A correction is held to the floor like any online transfer: no offline flag outside a charge.
    await expect(ledger.apply(transfer({ kind: 'correction', offlineCharge: true }), 2000)).rejects.toMatchObject({ code: 'invalid_transfer' });
  });

  it('refuses amounts that are not positive safe integers, one-account transfers, unknown accounts and wrong kinds', async () => {
    const { ledger } = await open();
    await openSchool(ledger, 1);
    for (const amountTiyn of [0, -1, 1.5, 0.1 + 0.2, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
      await expect(ledger.apply(transfer({ amountTiyn }), 1000)).rejects.toMatchObject({ code: 'invalid_transfer', status: 400 });
    }
    await expect(ledger.apply(transfer({ creditAccountId: 'cash' }), 1000)).rejects.toMatchObject({ code: 'invalid_transfer' });
    await expect(ledger.apply(transfer({ creditAccountId: 'child-9' }), 1000)).rejects.toMatchObject({ code: 'account_not_found', status: 404 });
    await expect(ledger.apply(transfer({ kind: 'charge' }), 1000)).rejects.toMatchObject({ code: 'kind_not_allowed' });
    await expect(ledger.apply(transfer({ kind: 'top_up', debitAccountId: 'revenue' }), 1000)).rejects.toMatchObject({ code: 'kind_not_allowed' });
    await expect(ledger.openAccount({ id: 'child-0', kind: 'person', personId: 'p-0', floorTiyn: -5 }, 0)).rejects.toMatchObject({ code: 'id_conflict' });
    expect((await ledger.openAccount({ id: 'child-0', kind: 'person', personId: 'p-0', floorTiyn: 0 }, 0)).status).toBe('exists');
    await expect(ledger.openAccount({ id: 'x', kind: 'person', personId: null, floorTiyn: 0.5 }, 0)).rejects.toMatchObject({ code: 'invalid_account' });
    expect((await ledger.accounts('', 100)).every((a) => a.balanceTiyn === 0)).toBe(true);
  });

  it("pages a child's statement with each entry's balance after it", async () => {
    const { ledger } = await open();
    await openSchool(ledger, 2);
    await ledger.apply(transfer({ id: 'a', amountTiyn: 100_000 }), Date.UTC(2026, 8, 1, 3));
    await ledger.apply(transfer({ id: 'other', creditAccountId: 'child-1' }), Date.UTC(2026, 8, 1, 3));
    await ledger.apply(transfer({ id: 'b', kind: 'charge', debitAccountId: 'child-0', creditAccountId: 'revenue', amountTiyn: 95_000, reference: 'meal-1' }), Date.UTC(2026, 8, 1, 7));
    await ledger.apply(transfer({ id: 'c', kind: 'refund', debitAccountId: 'revenue', creditAccountId: 'child-0', amountTiyn: 5_000 }), Date.UTC(2026, 8, 1, 8));
    const first = await ledger.statement('child-0', 0, 2);
    expect(first?.entries.map((e) => [e.transferId, e.amountTiyn, e.balanceAfterTiyn, e.counterpartyAccountId])).toEqual([['a', 100_000, 100_000, 'cash'], ['b', -95_000, 5_000, 'revenue']]);
    expect(first).toMatchObject({ more: true, account: { balanceTiyn: 10_000 } });
    expect(first?.entries[1]).toMatchObject({ kind: 'charge', reference: 'meal-1', at: '2026-09-01T07:00:00.000Z' });
    const second = await ledger.statement('child-0', first?.next ?? 0, 2);
    expect(second?.entries.map((e) => [e.transferId, e.balanceAfterTiyn])).toEqual([['c', 10_000]]);
    expect(second?.more).toBe(false);
    expect(await ledger.statement('nobody', 0, 10)).toBeNull();
  });

  it('refuses to edit or delete a transfer in the database itself', async () => {
    const handle = await open();
    await openSchool(handle.ledger, 1);
    await handle.ledger.apply(transfer({ id: 'kept' }), 1000);
    await expect(handle.exec("UPDATE ledger_transfers SET amount_tiyn = 1 WHERE id = 'kept'")).rejects.toThrow(/never edited|append-only/);
    await expect(handle.exec("DELETE FROM ledger_transfers WHERE id = 'kept'")).rejects.toThrow(/never deleted|append-only/);
    expect((await handle.ledger.transfer('kept'))?.amountTiyn).toBe(100_000);
  });
});
