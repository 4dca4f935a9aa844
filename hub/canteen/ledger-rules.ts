// The ledger's rules, as pure functions both storages call inside their transaction: what a valid
// transfer is, which account kinds each transfer kind may move money between, whether a replay is
// the same transfer, and what the two balances become. Keeping them here keeps SQLite and
// PostgreSQL from drifting apart on the one thing that must not differ: the money.
import { HubError } from '../errors.js';
import { ACCOUNT_KINDS, TRANSFER_KINDS, type AccountBalance, type AccountInput, type AccountKind, type StoredTransfer, type TransferInput, type TransferKind } from './ledger-types.js';

export type LedgerErrorCode =
  | 'invalid_transfer'
  | 'invalid_account'
  | 'account_not_found'
  | 'id_conflict'
  | 'kind_not_allowed'
  | 'exceeds_floor'
  | 'exceeds_offline_allowance'
  | 'overflow';

const STATUS: Record<LedgerErrorCode, number> = {
  invalid_transfer: 400, invalid_account: 400, account_not_found: 404, id_conflict: 409,
  kind_not_allowed: 422, exceeds_floor: 409, exceeds_offline_allowance: 409, overflow: 409,
};

/** A refused transfer or account: nothing was written. The HTTP layer answers with its status and code. */
export class LedgerError extends HubError {
  constructor(readonly ledgerCode: LedgerErrorCode, message: string) {
    super(STATUS[ledgerCode], ledgerCode, message);
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MAX_TEXT = 512;

/** Which account kinds a transfer kind debits and credits; a correction may move between any two. */
const KIND_RULES: Record<TransferKind, { debit: readonly AccountKind[]; credit: readonly AccountKind[] }> = {
  top_up: { debit: ['cash'], credit: ['person'] },
  charge: { debit: ['person', 'subsidy'], credit: ['revenue'] },
  refund: { debit: ['revenue'], credit: ['person', 'subsidy'] },
  correction: { debit: ACCOUNT_KINDS, credit: ACCOUNT_KINDS },
};

function isTiyn(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function checkText(value: string | null, field: string): void {
  if (value !== null && (typeof value !== 'string' || value.length > MAX_TEXT)) throw new LedgerError('invalid_transfer', `${field} must be a string of at most ${MAX_TEXT} characters or null`);
}

/** Checks a transfer's shape before any database work: ids, a positive safe-integer amount, distinct accounts. */
export function validateTransfer(input: TransferInput): void {
  for (const [field, value] of [['id', input.id], ['debitAccountId', input.debitAccountId], ['creditAccountId', input.creditAccountId]] as const) {
    if (typeof value !== 'string' || !ID.test(value)) throw new LedgerError('invalid_transfer', `${field} must be 1-128 characters of A-Z a-z 0-9 . _ : -`);
  }
  if (!isTiyn(input.amountTiyn) || input.amountTiyn <= 0) throw new LedgerError('invalid_transfer', 'amountTiyn must be a positive safe integer (tiyn)');
  if (input.debitAccountId === input.creditAccountId) throw new LedgerError('invalid_transfer', 'a transfer debits one account and credits another');
  if (!TRANSFER_KINDS.includes(input.kind)) throw new LedgerError('invalid_transfer', `kind must be one of ${TRANSFER_KINDS.join(', ')}`);
  if (typeof input.offlineCharge !== 'boolean') throw new LedgerError('invalid_transfer', 'offlineCharge must be a boolean');
  if (input.offlineCharge && input.kind !== 'charge') throw new LedgerError('invalid_transfer', 'only a charge can be an offline-till charge');
  checkText(input.reference, 'reference');
  checkText(input.note, 'note');
}

export function validateAccount(input: AccountInput): void {
  if (typeof input.id !== 'string' || !ID.test(input.id)) throw new LedgerError('invalid_account', 'id must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  if (!ACCOUNT_KINDS.includes(input.kind)) throw new LedgerError('invalid_account', `kind must be one of ${ACCOUNT_KINDS.join(', ')}`);
  if (input.floorTiyn !== null && !isTiyn(input.floorTiyn)) throw new LedgerError('invalid_account', 'floorTiyn must be a safe integer (tiyn) or null');
  if (input.personId !== null && (typeof input.personId !== 'string' || !ID.test(input.personId))) throw new LedgerError('invalid_account', 'personId must be an id or null');
}

export function sameAccount(stored: AccountInput, input: AccountInput): boolean {
  return stored.kind === input.kind && stored.personId === input.personId && stored.floorTiyn === input.floorTiyn;
}

/** Same id, same content: a replay. Same id, other content: a client bug the ledger must not paper over. */
export function sameTransfer(stored: TransferInput, input: TransferInput): boolean {
  return (
    stored.debitAccountId === input.debitAccountId && stored.creditAccountId === input.creditAccountId && stored.amountTiyn === input.amountTiyn &&
    stored.kind === input.kind && stored.offlineCharge === input.offlineCharge && stored.reference === input.reference && stored.note === input.note
  );
}

export function replayOf(stored: StoredTransfer, input: TransferInput): StoredTransfer {
  if (!sameTransfer(stored, input)) throw new LedgerError('id_conflict', `transfer ${input.id} was already applied with different content; a correction is a new transfer with a new id`);
  return stored;
}

/** The debited and credited accounts' new posted totals and balances. */
export interface Posting {
  debitsPostedTiyn: number;
  creditsPostedTiyn: number;
  debitAfterTiyn: number;
  creditAfterTiyn: number;
}

/**
 * The new totals of the debited and credited accounts, or a LedgerError. The floor binds the debited
 * account; an offline-till charge may pass it by at most the allowance, because the till already
 * served the meal and the school chose to carry that much risk per child.
 */
export function post(input: TransferInput, debit: AccountBalance, credit: AccountBalance, offlineAllowanceTiyn: number): Posting {
  const rule = KIND_RULES[input.kind];
  if (!rule.debit.includes(debit.kind) || !rule.credit.includes(credit.kind)) {
    throw new LedgerError('kind_not_allowed', `a ${input.kind} debits ${rule.debit.join('/')} and credits ${rule.credit.join('/')}, not ${debit.kind} to ${credit.kind}`);
  }
  const debits = debit.debitsPostedTiyn + input.amountTiyn;
  const credits = credit.creditsPostedTiyn + input.amountTiyn;
  const debitAfter = debit.creditsPostedTiyn - debits;
  const creditAfter = credits - credit.debitsPostedTiyn;
  if (![debits, credits, debitAfter, creditAfter].every((n) => Number.isSafeInteger(n))) throw new LedgerError('overflow', 'the transfer would take an account past the largest exact amount');
  if (debit.floorTiyn !== null && debitAfter < debit.floorTiyn) {
    if (!input.offlineCharge) throw new LedgerError('exceeds_floor', `account ${debit.id} would go to ${debitAfter} tiyn, below its floor of ${debit.floorTiyn}`);
    if (debitAfter < debit.floorTiyn - offlineAllowanceTiyn) {
      throw new LedgerError('exceeds_offline_allowance', `account ${debit.id} would go to ${debitAfter} tiyn, more than the offline allowance of ${offlineAllowanceTiyn} below its floor of ${debit.floorTiyn}`);
    }
  }
  return { debitsPostedTiyn: debits, creditsPostedTiyn: credits, debitAfterTiyn: debitAfter, creditAfterTiyn: creditAfter };
}

export function checkLedgerConfig(offlineAllowanceTiyn: number): void {
  if (!isTiyn(offlineAllowanceTiyn) || offlineAllowanceTiyn < 0) throw new Error('the canteen offline allowance must be a non-negative safe integer (tiyn)');
}

/** A row's number columns as read back (SQLite integer, PostgreSQL int8 as number). */
export function balanceOf(row: { id: string; kind: string; person_id: string | null; floor_tiyn: number | null; debits_posted: number; credits_posted: number }): AccountBalance {
  return {
    id: row.id, kind: row.kind as AccountKind, personId: row.person_id, floorTiyn: row.floor_tiyn,
    debitsPostedTiyn: row.debits_posted, creditsPostedTiyn: row.credits_posted, balanceTiyn: row.credits_posted - row.debits_posted,
  };
}
