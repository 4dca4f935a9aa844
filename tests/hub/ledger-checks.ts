// Invariants every ledger test checks after its transfers, whatever order they were applied in.
import { expect } from 'vitest';
import type { CanteenLedger } from '../../hub/canteen/index.js';
import { CONFIG } from './ledger-backends.js';

/** Every account: the sum is zero, floors hold within the allowance, and each statement chains to its balance. */
export async function checkInvariants(ledger: CanteenLedger, prefix = ''): Promise<void> {
  const accounts = await ledger.accounts('', 100_000);
  expect(accounts.reduce((sum, account) => sum + account.balanceTiyn, 0)).toBe(0);
  for (const account of accounts.filter((a) => a.id.startsWith(prefix))) {
    expect(Number.isSafeInteger(account.balanceTiyn)).toBe(true);
    if (account.floorTiyn !== null) expect(account.balanceTiyn).toBeGreaterThanOrEqual(account.floorTiyn - CONFIG.offlineAllowanceTiyn);
    const page = await ledger.statement(account.id, 0, 100_000);
    let running = 0;
    for (const entry of page?.entries ?? []) {
      running += entry.amountTiyn;
      expect(entry.balanceAfterTiyn).toBe(running);
    }
    expect(running).toBe(account.balanceTiyn);
  }
}
