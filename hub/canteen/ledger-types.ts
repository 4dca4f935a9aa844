// The canteen's money as a double-entry ledger, after TigerBeetle: accounts hold only posted debit
// and credit totals, every transfer debits one account and credits another by the same positive
// integer amount (tiyn), so the sum of all balances is zero by construction. A balance is credits
// minus debits: a child's account is what the school holds for the child. Transfers carry an id the
// client chooses; applying one twice changes nothing; nothing is ever edited (a correction is a new
// transfer). Implemented on SQLite (sqlite-ledger.ts) and PostgreSQL (pg-ledger.ts).

import type { LedgerError } from './ledger-rules.js';

/**
 * person: a child's or a staff member's balance (has a floor, usually 0).
 * revenue: the school canteen's takings. cash: where top-ups come from (a cashier's till, a payment
 * provider). subsidy: the state budget paying for free meals.
 */
export const ACCOUNT_KINDS = ['person', 'revenue', 'cash', 'subsidy'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export const TRANSFER_KINDS = ['top_up', 'charge', 'refund', 'correction'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

export interface AccountInput {
  id: string;
  kind: AccountKind;
  /** The person the account belongs to (kind person); null otherwise. */
  personId: string | null;
  /** Lowest balance allowed; null = no floor (cash and subsidy go negative as they pay out). */
  floorTiyn: number | null;
}

export interface AccountBalance extends AccountInput {
  debitsPostedTiyn: number;
  creditsPostedTiyn: number;
  /** credits - debits. */
  balanceTiyn: number;
}

export interface TransferInput {
  /** Chosen by the client (a till's meal id, a cashier's receipt id): the idempotency key. */
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amountTiyn: number;
  kind: TransferKind;
  /** A charge an offline till already made: may take the debited balance below its floor, by at most the offline allowance. */
  offlineCharge: boolean;
  /** What it refers to: the transfer a refund or correction answers, a till's meal record. */
  reference: string | null;
  note: string | null;
}

export interface StoredTransfer extends TransferInput {
  /** The ledger's own order (statements page by it). */
  seq: number;
  createdMs: number;
  debitBalanceAfterTiyn: number;
  creditBalanceAfterTiyn: number;
}

export type TransferResult = { status: 'applied' | 'duplicate'; transfer: StoredTransfer };

/** One transfer's outcome in a batch: applied, a duplicate (of a stored transfer or of one earlier in the batch), or refused alone. */
export type BatchTransferResult = TransferResult | { status: 'refused'; error: LedgerError };

export interface StatementEntry {
  seq: number;
  transferId: string;
  kind: TransferKind;
  /** Signed for this account: + credited, - debited. */
  amountTiyn: number;
  balanceAfterTiyn: number;
  counterpartyAccountId: string;
  offlineCharge: boolean;
  reference: string | null;
  note: string | null;
  at: string;
}

export interface StatementPage {
  account: AccountBalance;
  entries: StatementEntry[];
  /** The last seq returned: the next page's `after`. */
  next: number;
  more: boolean;
}

export interface LedgerConfig {
  /** How far below its floor an offline till's charge may take a person's balance (per child). */
  offlineAllowanceTiyn: number;
}

/** The persons' balances a till's snapshot carries, with how far one device's own charges are in them. */
export interface PersonBalances {
  /** By person id: credits - debits (summed over the person's accounts) and the floor. */
  balances: Map<string, { balanceTiyn: number; floorTiyn: number }>;
  /** The event id of the device's last meal charge posted; null when none is. */
  lastChargeEventId: string | null;
}

export interface CanteenLedger {
  /** Creates the account, or finds it unchanged; a different account under the same id is refused. */
  openAccount(input: AccountInput, nowMs: number): Promise<{ status: 'created' | 'exists'; account: AccountBalance }>;
  /** Applies the transfers in order in one transaction; each result is what apply() would have answered at its turn. */
  applyBatch(inputs: readonly TransferInput[], nowMs: number): Promise<BatchTransferResult[]>;
  /** Applies the transfer once; the same id again (same content) is a duplicate that changes nothing. */
  apply(input: TransferInput, nowMs: number): Promise<TransferResult>;
  account(id: string): Promise<AccountBalance | null>;
  /** Accounts in id order after `afterId` (reports, audits, the zero-sum check). */
  accounts(afterId: string, limit: number): Promise<AccountBalance[]>;
  transfer(id: string): Promise<StoredTransfer | null>;
  statement(accountId: string, afterSeq: number, limit: number): Promise<StatementPage | null>;
  /** Every person's balance and floor, and the device's last meal charge they include, as one snapshot. */
  personBalances(deviceId: string): Promise<PersonBalances>;
}
