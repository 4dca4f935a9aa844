// The ledger's algorithm over any SQL database that can lock rows: both storages run this same
// code with their own driver (sqlite-ledger.ts, pg-ledger.ts), so the steps and the SQL are one.
//
// apply(), in one transaction: lock the two accounts (PostgreSQL: FOR UPDATE, in id order so two
// transfers between the same pair cannot deadlock; SQLite: BEGIN IMMEDIATE already serialises
// writers), look the id up (a replay returns the stored transfer), post by the pure rules, write
// both accounts' totals and the transfer. The totals are only ever written here, beside the insert
// of the transfer that explains them. A transfer's seq is taken while both its accounts are locked,
// so per account, seqs grow in commit order and a statement paged by seq misses nothing.
import { balanceOf, checkLedgerConfig, LedgerError, post, replayOf, sameAccount, sameTransfer, validateAccount, validateTransfer } from './ledger-rules.js';
import type {
  AccountBalance,
  AccountInput,
  BatchTransferResult,
  CanteenLedger,
  LedgerConfig,
  PersonBalances,
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

function placeholders(count: number, from = 1): string {
  return Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');
}

const BATCH_ROWS = 200;

interface Posted {
  input: TransferInput;
  debitAfterTiyn: number;
  creditAfterTiyn: number;
}

type BatchStep = { kind: 'done'; result: BatchTransferResult } | { kind: 'posted' | 'repeat'; id: string };

/** Refused transfers answer with their error; a LedgerError never aborts the batch, any other error does. */
function refusal(error: unknown): BatchTransferResult {
  if (error instanceof LedgerError) return { status: 'refused', error };
  throw error;
}

/** The whole batch's accounts locked at once, in id order, so two batches cannot deadlock. */
async function lockAccounts(sql: LedgerSql, inputs: readonly TransferInput[], lockClause: string): Promise<Map<string, AccountBalance>> {
  const ids = [...new Set(inputs.flatMap((input) => [input.debitAccountId, input.creditAccountId]))].sort();
  const rows = ids.length === 0 ? [] : await sql.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id IN (${placeholders(ids.length)}) ORDER BY id${lockClause}`, ids);
  return new Map(rows.map((row) => [row.id, balanceOf(row)]));
}

async function storedTransfers(sql: LedgerSql, inputs: readonly TransferInput[]): Promise<Map<string, StoredTransfer>> {
  const ids = [...new Set(inputs.map((input) => input.id))];
  const rows = ids.length === 0 ? [] : await sql.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id IN (${placeholders(ids.length)})`, ids);
  return new Map(rows.map((row) => [row.id, transferOf(row)]));
}

/** The touched accounts' new totals, a few hundred rows a statement (UPDATE ... FROM VALUES: SQLite 3.33+ and PostgreSQL). */
async function updateTotals(sql: LedgerSql, touched: readonly AccountBalance[]): Promise<void> {
  for (let i = 0; i < touched.length; i += BATCH_ROWS) {
    const chunk = touched.slice(i, i + BATCH_ROWS);
    const values = chunk.map((_, r) => `(CAST($${r * 3 + 1} AS text), CAST($${r * 3 + 2} AS bigint), CAST($${r * 3 + 3} AS bigint))`).join(', ');
    await sql.query(
      `UPDATE ledger_accounts SET debits_posted = v.column2, credits_posted = v.column3 FROM (VALUES ${values}) AS v WHERE ledger_accounts.id = v.column1`,
      chunk.flatMap((account) => [account.id, account.debitsPostedTiyn, account.creditsPostedTiyn]),
    );
  }
}

async function insertPosted(sql: LedgerSql, posted: readonly Posted[], nowMs: number): Promise<Map<string, StoredTransfer>> {
  const out = new Map<string, StoredTransfer>();
  for (let i = 0; i < posted.length; i += BATCH_ROWS) {
    const chunk = posted.slice(i, i + BATCH_ROWS);
    const values = chunk.map((_, r) => `(${placeholders(11, r * 11 + 1)})`).join(', ');
    const params = chunk.flatMap(({ input, debitAfterTiyn, creditAfterTiyn }) => [
      input.id, input.debitAccountId, input.creditAccountId, input.amountTiyn, input.kind, input.offlineCharge ? 1 : 0, input.reference, input.note, nowMs, debitAfterTiyn, creditAfterTiyn,
    ]);
    const rows = await sql.query<TransferRow>(
      `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount_tiyn, kind, offline_charge, reference, note, created_ms, debit_balance_after, credit_balance_after)
       VALUES ${values} RETURNING ${TRANSFER_COLUMNS}`,
      params,
    );
    for (const row of rows) out.set(row.id, transferOf(row));
  }
  return out;
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

  /**
   * Applies the transfers in order in one transaction (TigerBeetle's batches): each gets the result
   * apply() would have given it at that point of the sequence, a refusal refuses that one only.
   * One lock of all the batch's accounts, one look-up of its ids, multi-row inserts: the hub's
   * folds post a page of meals this way, and it is what makes thousands a second possible.
   */
  async applyBatch(inputs: readonly TransferInput[], nowMs: number): Promise<BatchTransferResult[]> {
    // The meal fold calls this for every page of events, most of which hold no meal: no write
    // transaction (SQLite's one write lock) for nothing.
    if (inputs.length === 0) return [];
    const invalid = inputs.map((input): BatchTransferResult | null => {
      try {
        validateTransfer(input);
        return null;
      } catch (error) {
        return refusal(error);
      }
    });
    return this.driver.write(async (sql) => {
      const accounts = await lockAccounts(sql, inputs.filter((_, i) => invalid[i] === null), this.driver.lockClause);
      const stored = await storedTransfers(sql, inputs);
      const posted: Posted[] = [];
      const steps = inputs.map((input, i): BatchStep => invalid[i] ? { kind: 'done', result: invalid[i] } : this.#step(input, accounts, stored, posted));
      await updateTotals(sql, [...new Set(posted.flatMap((p) => [p.input.debitAccountId, p.input.creditAccountId]))].flatMap((id) => accounts.get(id) ?? []));
      const inserted = await insertPosted(sql, posted, nowMs);
      return steps.map((step): BatchTransferResult => {
        if (step.kind === 'done') return step.result;
        const transfer = inserted.get(step.id);
        if (!transfer) throw new Error(`posted transfer ${step.id} was not inserted`);
        return { status: step.kind === 'posted' ? 'applied' : 'duplicate', transfer };
      });
    });
  }

  /** One transfer of a batch against the batch's running account totals. */
  #step(input: TransferInput, accounts: Map<string, AccountBalance>, stored: ReadonlyMap<string, StoredTransfer>, posted: Posted[]): BatchStep {
    try {
      const earlier = stored.get(input.id);
      if (earlier) return { kind: 'done', result: { status: 'duplicate', transfer: replayOf(earlier, input) } };
      const inBatch = posted.find((p) => p.input.id === input.id);
      if (inBatch) {
        if (!sameTransfer(inBatch.input, input)) throw new LedgerError('id_conflict', `transfer ${input.id} appears twice in the batch with different content`);
        return { kind: 'repeat', id: input.id };
      }
      const debit = accounts.get(input.debitAccountId);
      const credit = accounts.get(input.creditAccountId);
      if (!debit || !credit) throw new LedgerError('account_not_found', `no account ${debit ? input.creditAccountId : input.debitAccountId}`);
      const posting = post(input, debit, credit, this.config.offlineAllowanceTiyn);
      accounts.set(debit.id, { ...debit, debitsPostedTiyn: posting.debitsPostedTiyn, balanceTiyn: posting.debitAfterTiyn });
      accounts.set(credit.id, { ...credit, creditsPostedTiyn: posting.creditsPostedTiyn, balanceTiyn: posting.creditAfterTiyn });
      posted.push({ input, debitAfterTiyn: posting.debitAfterTiyn, creditAfterTiyn: posting.creditAfterTiyn });
      return { kind: 'posted', id: input.id };
    } catch (error) {
      return { kind: 'done', result: refusal(error) };
    }
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

  /**
   * Every person account's balance and floor, and the event id of the last of one device's meal
   * charges they include (ledger order, which is the fold's order: a device's charges are posted as
   * a prefix of its meals). One statement, so on either database the balances and that position are
   * one snapshot: a till subtracts exactly its charges after it (hub/canteen/snapshot.ts).
   */
  async personBalances(deviceId: string): Promise<PersonBalances> {
    // The device's transfer ids share a prefix (protocol/canteen.ts mealTransferIds). Matched by
    // substr equality, not an id range: a range on text follows the database's collation, and
    // PostgreSQL's en_US collation ignores ':' and ';' at its first level. The walk goes back from
    // the newest transfer and stops at the device's last charge, a few rows for a till in use.
    const prefix = `meal:${deviceId}:`;
    const rows = await this.driver.read((sql) =>
      sql.query<{ person_id: string | null; floor_tiyn: number | null; debits_posted: number; credits_posted: number; last_charge: string | null }>(
        `SELECT a.person_id, a.floor_tiyn, a.debits_posted, a.credits_posted,
           (SELECT t.reference FROM ledger_transfers t
             WHERE substr(t.id, 1, $2) = $1 AND t.kind = 'charge' AND substr(t.id, length(t.id) - 6) = ':charge' ORDER BY t.seq DESC LIMIT 1) AS last_charge
         FROM ledger_accounts a WHERE a.kind = 'person' ORDER BY a.id`,
        [prefix, prefix.length],
      ),
    );
    const balances = new Map<string, { balanceTiyn: number; floorTiyn: number }>();
    for (const row of rows) {
      if (row.person_id === null) continue;
      const earlier = balances.get(row.person_id);
      const balance = Number(row.credits_posted) - Number(row.debits_posted);
      const floor = row.floor_tiyn === null ? 0 : Number(row.floor_tiyn);
      balances.set(row.person_id, earlier ? { balanceTiyn: earlier.balanceTiyn + balance, floorTiyn: Math.max(earlier.floorTiyn, floor) } : { balanceTiyn: balance, floorTiyn: floor });
    }
    return { balances, lastChargeEventId: rows[0]?.last_charge ?? null };
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
