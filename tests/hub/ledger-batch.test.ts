// applyBatch() on SQLite and a real PostgreSQL: a batch gives every transfer the answer apply()
// gives it one at a time in the same order (applied, duplicate, or refused alone: over the floor,
// an offline charge past the allowance, an unknown account, an id reused with other content), and
// leaves the same balances and statements; a replayed batch changes nothing; the sum stays zero.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BatchTransferResult, CanteenLedger, TransferInput, TransferResult } from '../../hub/canteen/index.js';
import { LedgerError } from '../../hub/canteen/index.js';
import { ledgerBackends, openSchool, type LedgerBackend, type LedgerHandle } from './ledger-backends.js';

/** A seeded mix: top-ups, charges (some offline, some too big), repeats of earlier ids, a conflict, an unknown account. */
function sequence(count: number, seed: number): TransferInput[] {
  let state = seed;
  const random = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state >>> 8) % n;
  };
  const out: TransferInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const child = `child-${random(5)}`;
    const roll = random(20);
    const earlier = out[random(Math.max(1, out.length))];
    if (roll === 0 && earlier) out.push({ ...earlier });
    else if (roll === 1 && earlier) out.push({ ...earlier, amountTiyn: earlier.amountTiyn + 1 });
    else if (roll === 2) out.push({ id: `t-${i}`, debitAccountId: 'nobody', creditAccountId: 'revenue', amountTiyn: 10, kind: 'charge', offlineCharge: false, reference: null, note: null });
    else if (roll < 7) out.push({ id: `t-${i}`, debitAccountId: 'cash', creditAccountId: child, amountTiyn: 50_000 + random(100_000), kind: 'top_up', offlineCharge: false, reference: null, note: null });
    else out.push({ id: `t-${i}`, debitAccountId: child, creditAccountId: 'revenue', amountTiyn: 30_000 + random(90_000), kind: 'charge', offlineCharge: random(3) === 0, reference: `meal-${i}`, note: null });
  }
  return out;
}

type Outcome = string;

function outcomeOf(result: BatchTransferResult | TransferResult): Outcome {
  return result.status === 'refused' ? `refused:${result.error.ledgerCode}` : `${result.status}:${result.transfer.id}:${result.transfer.debitBalanceAfterTiyn}:${result.transfer.creditBalanceAfterTiyn}`;
}

async function oneByOne(ledger: CanteenLedger, inputs: readonly TransferInput[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const input of inputs) {
    try {
      out.push(outcomeOf(await ledger.apply(input, 1000)));
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      out.push(`refused:${error.ledgerCode}`);
    }
  }
  return out;
}

async function snapshot(ledger: CanteenLedger): Promise<{ balances: Record<string, number>; sum: number; statement: number[] }> {
  const accounts = await ledger.accounts('', 100);
  const statement = (await ledger.statement('child-0', 0, 1000))?.entries.map((e) => e.balanceAfterTiyn) ?? [];
  return { balances: Object.fromEntries(accounts.map((a) => [a.id, a.balanceTiyn])), sum: accounts.reduce((s, a) => s + a.balanceTiyn, 0), statement };
}

describe.each(ledgerBackends)('canteen ledger batches: %s', (_name, makeBackend) => {
  const backend: LedgerBackend = makeBackend();
  const opened: LedgerHandle[] = [];
  const open = async (): Promise<LedgerHandle> => {
    const handle = await backend.open();
    opened.push(handle);
    return handle;
  };
  beforeAll(() => backend.start());
  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
  });
  afterAll(() => backend.stop());

  it('answers each transfer as apply() would in order, and ends in the same state', async () => {
    const inputs = sequence(300, 19);
    const single = (await open()).ledger;
    const batched = (await open()).ledger;
    await openSchool(single, 5);
    await openSchool(batched, 5);
    const expected = await oneByOne(single, inputs);
    const got: Outcome[] = [];
    for (let i = 0; i < inputs.length; i += 64) got.push(...(await batched.applyBatch(inputs.slice(i, i + 64), 1000)).map(outcomeOf));
    expect(got).toEqual(expected);
    // The mix really has every kind of answer.
    for (const prefix of ['applied', 'duplicate', 'refused:exceeds_floor', 'refused:account_not_found', 'refused:id_conflict']) expect(expected.some((o) => o.startsWith(prefix)), prefix).toBe(true);
    const state = await snapshot(batched);
    expect(state).toEqual(await snapshot(single));
    expect(state.sum).toBe(0);
    // What was applied, again as one batch: all duplicates, nothing moves. (A refused transfer stored
    // nothing, so its id may pass later: it is left out.)
    const applied = inputs.filter((_, i) => expected[i]?.startsWith('applied'));
    const replay = await batched.applyBatch(applied, 2000);
    expect(replay.map((r) => r.status)).toEqual(applied.map(() => 'duplicate'));
    expect(await snapshot(batched)).toEqual(state);
  }, 60_000);
});
