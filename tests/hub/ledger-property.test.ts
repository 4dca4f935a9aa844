// The canteen ledger's properties, on SQLite and on a real PostgreSQL, over generated days of
// top-ups, online and offline charges, free meals, refunds, corrections, replays and conflicting
// replays. Each run is its own school (account ids prefixed) in one database. Checked against a
// model of the rules: every outcome (applied, duplicate, the refusal code) and every balance; the
// sum over all accounts is zero; no balance is below its floor by more than the offline allowance;
// a replay changes nothing; each statement's balances chain. Runs: ESIK_CANTEEN_RUNS (default 25).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanteenLedger, TransferInput } from '../../hub/canteen/index.js';
import { CONFIG, RUNS, ledgerBackends, openSchool, type LedgerBackend, type LedgerHandle } from './ledger-backends.js';
import { checkInvariants } from './ledger-checks.js';

const CHILDREN = 3;
const amountArb = fc.oneof(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(5_000, 25_000, 50_000, 95_000));
const opArb = fc.oneof(
  fc.record({ type: fc.constant('top_up' as const), child: fc.nat(CHILDREN - 1), amount: amountArb }),
  fc.record({ type: fc.constant('charge' as const), child: fc.nat(CHILDREN - 1), amount: amountArb, offline: fc.boolean() }),
  fc.record({ type: fc.constant('free' as const), amount: amountArb }),
  fc.record({ type: fc.constant('refund' as const), child: fc.nat(CHILDREN - 1), amount: amountArb }),
  fc.record({ type: fc.constant('correction' as const), child: fc.nat(CHILDREN - 1), to: fc.nat(CHILDREN - 1), amount: amountArb }),
  fc.record({ type: fc.constant('replay' as const), index: fc.nat() }),
  fc.record({ type: fc.constant('conflict' as const), index: fc.nat() }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** The rules, written again as plainly as possible: what the ledger must answer and hold. */
class LedgerModel {
  readonly balances = new Map<string, number>();
  readonly applied = new Map<string, TransferInput>();

  constructor(private readonly floors: ReadonlyMap<string, number>) {}

  apply(input: TransferInput): string {
    const before = this.applied.get(input.id);
    if (before) return JSON.stringify(before) === JSON.stringify(input) ? 'duplicate' : 'id_conflict';
    const after = (this.balances.get(input.debitAccountId) ?? 0) - input.amountTiyn;
    const floor = this.floors.get(input.debitAccountId);
    if (floor !== undefined && after < floor) {
      if (!input.offlineCharge) return 'exceeds_floor';
      if (after < floor - CONFIG.offlineAllowanceTiyn) return 'exceeds_offline_allowance';
    }
    this.balances.set(input.debitAccountId, after);
    this.balances.set(input.creditAccountId, (this.balances.get(input.creditAccountId) ?? 0) + input.amountTiyn);
    this.applied.set(input.id, input);
    return 'applied';
  }
}

function toTransfer(op: Op, prefix: string, n: number, history: readonly TransferInput[]): TransferInput | null {
  const base = { id: `${prefix}t-${n}`, offlineCharge: false, reference: null, note: null };
  const child = (i: number): string => `${prefix}child-${i}`;
  switch (op.type) {
    case 'top_up': return { ...base, kind: 'top_up', debitAccountId: `${prefix}cash`, creditAccountId: child(op.child), amountTiyn: op.amount };
    case 'charge': return { ...base, kind: 'charge', debitAccountId: child(op.child), creditAccountId: `${prefix}revenue`, amountTiyn: op.amount, offlineCharge: op.offline };
    case 'free': return { ...base, kind: 'charge', debitAccountId: `${prefix}subsidy`, creditAccountId: `${prefix}revenue`, amountTiyn: op.amount };
    case 'refund': return { ...base, kind: 'refund', debitAccountId: `${prefix}revenue`, creditAccountId: child(op.child), amountTiyn: op.amount };
    case 'correction':
      if (op.to === op.child) return null;
      return { ...base, kind: 'correction', debitAccountId: child(op.child), creditAccountId: child(op.to), amountTiyn: op.amount, note: 'misdirected top-up' };
    case 'replay': {
      const earlier = history[op.index % Math.max(1, history.length)];
      return earlier ? { ...earlier } : null;
    }
    case 'conflict': {
      const earlier = history[op.index % Math.max(1, history.length)];
      return earlier ? { ...earlier, amountTiyn: earlier.amountTiyn + 1 } : null;
    }
  }
}

async function outcome(ledger: CanteenLedger, input: TransferInput): Promise<string> {
  try {
    return (await ledger.apply(input, Date.UTC(2026, 8, 1, 7))).status;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.each(ledgerBackends)('canteen ledger properties: %s', (_name, makeBackend) => {
  const backend: LedgerBackend = makeBackend();
  let handle: LedgerHandle;
  let school = 0;
  beforeAll(async () => {
    await backend.start();
    handle = await backend.open();
  });
  afterAll(async () => {
    await handle.close();
    await backend.stop();
  });

  it('answers every transfer as the model does, keeps the model balances, sums to zero and holds the floors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.constantFrom(0, -20_000, 10_000), async (ops, floor) => {
        const prefix = `s${++school}-`;
        const children = await openSchool(handle.ledger, CHILDREN, floor, prefix);
        const model = new LedgerModel(new Map(children.map((id) => [id, floor])));
        const history: TransferInput[] = [];
        for (const [n, op] of ops.entries()) {
          const input = toTransfer(op, prefix, n, history);
          if (!input) continue;
          history.push(input);
          expect(await outcome(handle.ledger, input)).toBe(model.apply(input));
        }
        for (const account of await handle.ledger.accounts(prefix, 100)) {
          if (account.id.startsWith(prefix)) expect([account.id, account.balanceTiyn]).toEqual([account.id, model.balances.get(account.id) ?? 0]);
        }
        await checkInvariants(handle.ledger, prefix);
      }),
      { numRuns: RUNS },
    );
  });

  it('changes nothing on a replay, also when the replays race each other from two handles', async () => {
    const other = await backend.open(handle);
    try {
      await fc.assert(
        fc.asyncProperty(amountArb, fc.integer({ min: 2, max: 8 }), fc.boolean(), async (amount, copies, charge) => {
          const prefix = `r${++school}-`;
          await openSchool(handle.ledger, 1, -1_000_000, prefix);
          const input: TransferInput = charge
            ? { id: `${prefix}t`, kind: 'charge', debitAccountId: `${prefix}child-0`, creditAccountId: `${prefix}revenue`, amountTiyn: amount, offlineCharge: true, reference: 'meal-1', note: null }
            : { id: `${prefix}t`, kind: 'top_up', debitAccountId: `${prefix}cash`, creditAccountId: `${prefix}child-0`, amountTiyn: amount, offlineCharge: false, reference: null, note: null };
          const results = await Promise.all(Array.from({ length: copies }, (_, i) => outcome((i % 2 === 0 ? handle : other).ledger, { ...input })));
          expect(results.filter((r) => r === 'applied')).toHaveLength(1);
          expect(results.filter((r) => r === 'duplicate')).toHaveLength(copies - 1);
          expect((await handle.ledger.account(`${prefix}child-0`))?.balanceTiyn).toBe(charge ? -amount : amount);
          expect(await outcome(other.ledger, { ...input })).toBe('duplicate');
          expect((await other.ledger.statement(`${prefix}child-0`, 0, 10))?.entries).toHaveLength(1);
        }),
        { numRuns: RUNS },
      );
      await checkInvariants(handle.ledger);
    } finally {
      await other.close();
    }
  });
});
