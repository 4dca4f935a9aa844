// Two hub processes applying transfers at once, modelled by two handles with their own connections
// (on PostgreSQL two pools of 10, so transfers really interleave in the server; on SQLite two
// connections to one file). Generated batches crowd onto two children and the shared revenue
// account. Whatever order the database chose: no transfer fails for any reason but a floor, the
// balances are exactly the applied amounts, every statement chains, the sum is zero, floors hold
// within the allowance, and replaying the applied transfers in seq order through the model accepts
// every one (the order the database chose is a serial order). Runs: ESIK_CANTEEN_RUNS.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanteenLedger, StoredTransfer, TransferInput } from '../../hub/canteen/index.js';
import { CONFIG, RUNS, ledgerBackends, openSchool, type LedgerBackend, type LedgerHandle } from './ledger-backends.js';
import { checkInvariants } from './ledger-checks.js';

const opArb = fc.record({
  kind: fc.constantFrom('top_up', 'charge', 'charge_offline', 'correction', 'free'),
  child: fc.nat(1),
  amount: fc.integer({ min: 1, max: 120_000 }),
});

function toTransfer(op: { kind: string; child: number; amount: number }, prefix: string, n: number): TransferInput {
  const child = `${prefix}child-${op.child}`;
  const base = { id: `${prefix}c-${n}`, amountTiyn: op.amount, offlineCharge: false, reference: null, note: null };
  if (op.kind === 'top_up') return { ...base, kind: 'top_up', debitAccountId: `${prefix}cash`, creditAccountId: child };
  if (op.kind === 'free') return { ...base, kind: 'charge', debitAccountId: `${prefix}subsidy`, creditAccountId: `${prefix}revenue` };
  if (op.kind === 'correction') return { ...base, kind: 'correction', debitAccountId: child, creditAccountId: `${prefix}child-${1 - op.child}` };
  return { ...base, kind: 'charge', debitAccountId: child, creditAccountId: `${prefix}revenue`, offlineCharge: op.kind === 'charge_offline' };
}

async function attempt(ledger: CanteenLedger, input: TransferInput): Promise<StoredTransfer | string> {
  try {
    return (await ledger.apply(input, Date.UTC(2026, 8, 1, 7))).transfer;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Replays the applied transfers in seq order against the floors: each must have been allowed then. */
function checkSerialOrder(applied: readonly StoredTransfer[], floors: ReadonlyMap<string, number>): void {
  const balances = new Map<string, number>();
  for (const t of [...applied].sort((a, b) => a.seq - b.seq)) {
    const after = (balances.get(t.debitAccountId) ?? 0) - t.amountTiyn;
    const floor = floors.get(t.debitAccountId);
    if (floor !== undefined) expect(after).toBeGreaterThanOrEqual(t.offlineCharge ? floor - CONFIG.offlineAllowanceTiyn : floor);
    expect(t.debitBalanceAfterTiyn).toBe(after);
    balances.set(t.debitAccountId, after);
    balances.set(t.creditAccountId, (balances.get(t.creditAccountId) ?? 0) + t.amountTiyn);
    expect(t.creditBalanceAfterTiyn).toBe(balances.get(t.creditAccountId));
  }
}

describe.each(ledgerBackends)('canteen ledger under concurrent writers: %s', (_name, makeBackend) => {
  const backend: LedgerBackend = makeBackend();
  let first: LedgerHandle;
  let second: LedgerHandle;
  let school = 0;
  beforeAll(async () => {
    await backend.start();
    first = await backend.open();
    second = await backend.open(first);
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await backend.stop();
  });

  it('keeps balances exact when two handles apply interleaved transfers on the same accounts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60 }), async (ops) => {
        const prefix = `k${++school}-`;
        const children = await openSchool(first.ledger, 2, 0, prefix);
        const inputs = ops.map((op, n) => toTransfer(op, prefix, n));
        const results = await Promise.all(inputs.map((input, n) => attempt((n % 2 === 0 ? first : second).ledger, input)));
        const refusals = results.filter((r): r is string => typeof r === 'string');
        expect(refusals.filter((code) => code !== 'exceeds_floor' && code !== 'exceeds_offline_allowance')).toEqual([]);
        const applied = results.filter((r): r is StoredTransfer => typeof r !== 'string');
        const expected = new Map<string, number>();
        for (const t of applied) {
          expected.set(t.debitAccountId, (expected.get(t.debitAccountId) ?? 0) - t.amountTiyn);
          expected.set(t.creditAccountId, (expected.get(t.creditAccountId) ?? 0) + t.amountTiyn);
        }
        for (const account of (await second.ledger.accounts(prefix, 100)).filter((a) => a.id.startsWith(prefix))) {
          expect([account.id, account.balanceTiyn]).toEqual([account.id, expected.get(account.id) ?? 0]);
        }
        checkSerialOrder(applied, new Map(children.map((id) => [id, 0])));
        await checkInvariants(first.ledger, prefix);
      }),
      { numRuns: RUNS },
    );
  });
});
