// The ledger's algorithm over any SQL database that can lock rows: both storages run this same
// code with their own driver (sqlite-ledger.ts, pg-ledger.ts), so the steps and the SQL are one.
//
// apply(), in one transaction: lock the two accounts (PostgreSQL: FOR UPDATE, in id order so two
// transfers between the same pair cannot deadlock; SQLite: BEGIN IMMEDIATE already serialises
// writers), look the id up (a replay returns the stored transfer), post by the pure rules, write
// both accounts' totals and the transfer. The totals are only ever written here, beside the insert
// of the transfer that explains them. A transfer's seq is taken while both its accounts are locked,
// so per account, seqs grow in commit order and a statement paged by seq misses nothing.
import { balanceOf, checkLedgerConfig, LedgerError, post, replayOf, sameAccount, validateAccount, validateTransfer } from './ledger-rules.js';
import type {
  AccountBalance,
  AccountInput,
  CanteenLedger,
  LedgerConfig,
  StatementPage,
  StoredTransfer,
  TransferInput,
  TransferKind,
  TransferResult,
} from './ledger-types.js';

export type LedgerParam = string | number | null;

/** One statement at a time, inside whatever transaction (or snapshot) the driver opened. SQL uses $1.. placeholders. */
export interface LedgerSql {
  query<T extends object>(sql: string, params?: readonly LedgerParam[]): Promise<T[]>;
}

export interface LedgerDriver {
  /** Runs `work` in one write transaction; retried from the start by the driver on a serialisation failure. */
  write<T>(work: (sql: LedgerSql) => Promise<T>): Promise<T>;
  /** Runs `work` against committed data only. */
  read<T>(work: (sql: LedgerSql) => Promise<T>): Promise<T>;
  /** ' FOR UPDATE' where rows are locked by statement; '' where the transaction already excludes other writers. */
  readonly lockClause: string;
}

interface AccountRow {
  id: string;
  kind: string;
  person_id: string | null;
  floor_tiyn: number | null;
  debits_posted: number;
  credits_posted: number;
}

interface TransferRow {
  seq: number;
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount_tiyn: number;
  kind: string;
  offline_charge: number;
  reference: string | null;
  note: string | null;
  created_ms: number;
  debit_balance_after: number;
  credit_balance_after: number;
}

const ACCOUNT_COLUMNS = 'id, kind, person_id, floor_tiyn, debits_posted, credits_posted';
const TRANSFER_COLUMNS = 'seq, id, debit_account_id, credit_account_id, amount_tiyn, kind, offline_charge, reference, note, created_ms, debit_balance_after, credit_balance_after';

function transferOf(row: TransferRow): StoredTransfer {
  return {
    seq: row.seq, id: row.id, debitAccountId: row.debit_account_id, creditAccountId: row.credit_account_id, amountTiyn: row.amount_tiyn,
    kind: row.kind as TransferKind, offlineCharge: row.offline_charge === 1, reference: row.reference, note: row.note, createdMs: row.created_ms,
    debitBalanceAfterTiyn: row.debit_balance_after, creditBalanceAfterTiyn: row.credit_balance_after,
  };
}

async function findTransfer(sql: LedgerSql, id: string): Promise<StoredTransfer | null> {
  const rows = await sql.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = $1`, [id]);
  return rows[0] ? transferOf(rows[0]) : null;
}

async function findAccount(sql: LedgerSql, id: string): Promise<AccountBalance | null> {
  const rows = await sql.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1`, [id]);
  return rows[0] ? balanceOf(rows[0]) : null;
}

export class SqlLedger implements CanteenLedger {
  constructor(
    private readonly driver: LedgerDriver,
    private readonly config: LedgerConfig,
  ) {
    checkLedgerConfig(config.offlineAllowanceTiyn);
  }

  async openAccount(input: AccountInput, nowMs: number): Promise<{ status: 'created' | 'exists'; account: AccountBalance }> {
    validateAccount(input);
    return this.driver.write(async (sql) => {
      const inserted = await sql.query<{ id: string }>(
        'INSERT INTO ledger_accounts (id, kind, person_id, floor_tiyn, debits_posted, credits_posted, created_ms) VALUES ($1, $2, $3, $4, 0, 0, $5) ON CONFLICT (id) DO NOTHING RETURNING id',
        [input.id, input.kind, input.personId, input.floorTiyn, nowMs],
      );
      const account = await findAccount(sql, input.id);
      if (!account) throw new Error(`account ${input.id} vanished inside its own transaction`);
      if (inserted.length === 0 && !sameAccount(account, input)) throw new LedgerError('id_conflict', `account ${input.id} exists with other settings`);
      return { status: inserted.length === 1 ? 'created' : 'exists', account };
    });
  }

  async apply(input: TransferInput, nowMs: number): Promise<TransferResult> {
    validateTransfer(input);
    return this.driver.write(async (sql) => {
      const ids = [input.debitAccountId, input.creditAccountId].sort();
      const locked = await sql.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1 OR id = $2 ORDER BY id${this.driver.lockClause}`, ids);
      const stored = await findTransfer(sql, input.id);
      if (stored) return { status: 'duplicate', transfer: replayOf(stored, input) };
      const debit = locked.find((row) => row.id === input.debitAccountId);
      const credit = locked.find((row) => row.id === input.creditAccountId);
      if (!debit || !credit) throw new LedgerError('account_not_found', `no account ${debit ? input.creditAccountId : input.debitAccountId}`);
      const posting = post(input, balanceOf(debit), balanceOf(credit), this.config.offlineAllowanceTiyn);
      await sql.query('UPDATE ledger_accounts SET debits_posted = $1 WHERE id = $2', [posting.debitsPostedTiyn, debit.id]);
      await sql.query('UPDATE ledger_accounts SET credits_posted = $1 WHERE id = $2', [posting.creditsPostedTiyn, credit.id]);
      const rows = await sql.query<TransferRow>(
        `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount_tiyn, kind, offline_charge, reference, note, created_ms, debit_balance_after, credit_balance_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${TRANSFER_COLUMNS}`,
        [input.id, debit.id, credit.id, input.amountTiyn, input.kind, input.offlineCharge ? 1 : 0, input.reference, input.note, nowMs, posting.debitAfterTiyn, posting.creditAfterTiyn],
      );
      if (!rows[0]) throw new Error('the transfer insert returned no row');
      return { status: 'applied', transfer: transferOf(rows[0]) };
    });
  }

  account(id: string): Promise<AccountBalance | null> {
    return this.driver.read((sql) => findAccount(sql, id));
  }

  transfer(id: string): Promise<StoredTransfer | null> {
    return this.driver.read((sql) => findTransfer(sql, id));
  }

  async accounts(afterId: string, limit: number): Promise<AccountBalance[]> {
    const rows = await this.driver.read((sql) => sql.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]));
    return rows.map(balanceOf);
  }

  /** The account and its entries after `afterSeq`, read in one transaction so the balance matches the entries. */
  statement(accountId: string, afterSeq: number, limit: number): Promise<StatementPage | null> {
    return this.driver.read(async (sql) => {
      const account = await findAccount(sql, accountId);
      if (!account) return null;
      const rows = await sql.query<TransferRow>(
        `SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE (debit_account_id = $1 OR credit_account_id = $1) AND seq > $2 ORDER BY seq LIMIT $3`,
        [accountId, afterSeq, limit + 1],
      );
      const entries = rows.slice(0, limit).map(transferOf).map((t) => {
        const credited = t.creditAccountId === accountId;
        return {
          seq: t.seq, transferId: t.id, kind: t.kind, amountTiyn: credited ? t.amountTiyn : -t.amountTiyn,
          balanceAfterTiyn: credited ? t.creditBalanceAfterTiyn : t.debitBalanceAfterTiyn, counterpartyAccountId: credited ? t.debitAccountId : t.creditAccountId,
          offlineCharge: t.offlineCharge, reference: t.reference, note: t.note, at: new Date(t.createdMs).toISOString(),
        };
      });
      return { account, entries, next: entries.at(-1)?.seq ?? afterSeq, more: rows.length > limit };
    });
  }
}
