// The canteen ledger on the hub's SQLite database. Writers are serialised by the hub's one
// connection (HubDb's queue and BEGIN IMMEDIATE, which also excludes any other process on the
// file), so no row locks are needed; reads wait for open transactions (HubDb.committed), so a
// balance never shows a transfer a rollback could take back. Triggers keep transfers append-only.
import type { HubDb } from '../db.js';
import { SqlLedger, type LedgerDriver, type LedgerParam, type LedgerSql } from './ledger-core.js';
import type { LedgerConfig } from './ledger-types.js';

export const LEDGER_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_accounts (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, person_id TEXT, floor_tiyn INTEGER,
  debits_posted INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_posted INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_transfers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  debit_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
  credit_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
  amount_tiyn INTEGER NOT NULL CHECK (typeof(amount_tiyn) = 'integer' AND amount_tiyn > 0),
  kind TEXT NOT NULL, offline_charge INTEGER NOT NULL, reference TEXT, note TEXT, created_ms INTEGER NOT NULL,
  debit_balance_after INTEGER NOT NULL, credit_balance_after INTEGER NOT NULL,
  CHECK (debit_account_id <> credit_account_id));
CREATE INDEX IF NOT EXISTS ledger_transfers_debit ON ledger_transfers (debit_account_id, seq);
CREATE INDEX IF NOT EXISTS ledger_transfers_credit ON ledger_transfers (credit_account_id, seq);
CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
  BEGIN SELECT RAISE(ABORT, 'ledger transfers are never edited; a correction is a new transfer'); END;
CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
  BEGIN SELECT RAISE(ABORT, 'ledger transfers are never deleted; a correction is a new transfer'); END;
CREATE TRIGGER IF NOT EXISTS ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
  BEGIN SELECT RAISE(ABORT, 'ledger accounts are never deleted'); END;
`;

/** The core's $1.. placeholders as SQLite's numbered ?1.. (same numbers, so a repeated $1 binds once). */
function sqliteSql(text: string): string {
  return text.replace(/\$(\d+)/g, '?$1');
}

class SqliteLedgerDriver implements LedgerDriver {
  readonly lockClause = '';
  private readonly sql: LedgerSql;

  constructor(private readonly db: HubDb) {
    this.sql = { query: <T extends object>(text: string, params: readonly LedgerParam[] = []) => this.db.all<T>(sqliteSql(text), params) };
  }

  write<T>(work: (sql: LedgerSql) => Promise<T>): Promise<T> {
    return this.db.transaction(() => work(this.sql));
  }

  read<T>(work: (sql: LedgerSql) => Promise<T>): Promise<T> {
    return this.db.committed(() => work(this.sql));
  }
}

/** Creates the ledger's tables if missing and returns the ledger over the hub's connection. */
export async function openSqliteLedger(db: HubDb, config: LedgerConfig): Promise<SqlLedger> {
  await db.exec(LEDGER_SQLITE_SCHEMA);
  return new SqlLedger(new SqliteLedgerDriver(db), config);
}
