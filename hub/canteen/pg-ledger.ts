// The canteen ledger on PostgreSQL, where several hub processes apply transfers at once. apply()
// locks both accounts FOR UPDATE in id order (ledger-core.ts) at READ COMMITTED, so each posting
// reads the totals the previous one committed; two processes replaying the same id race on the
// unique key, and PgDb.transaction runs the loser again, which then finds the transfer: a
// duplicate. Reads run at REPEATABLE READ so a statement's balance and entries are one snapshot.
// The tables are migration 5 in hub/pg-schema.ts.
import type pg from 'pg';
import type { PgDb, PgQueryable } from '../pg-db.js';
import { SqlLedger, type LedgerDriver, type LedgerParam, type LedgerSql } from './ledger-core.js';
import type { LedgerConfig } from './ledger-types.js';

function ledgerSql(tx: PgQueryable): LedgerSql {
  return { query: <T extends object>(text: string, params: readonly LedgerParam[] = []) => tx.query<T & pg.QueryResultRow>(text, params) };
}

class PgLedgerDriver implements LedgerDriver {
  readonly lockClause = ' FOR UPDATE';

  constructor(private readonly db: PgDb) {}

  write<T>(work: (sql: LedgerSql) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(ledgerSql(tx)));
  }

  read<T>(work: (sql: LedgerSql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return work(ledgerSql(tx));
    });
  }
}

/** The ledger over a migrated hub database (PgHubStorage.open or migrate() ran migration 5). */
export function openPgLedger(db: PgDb, config: LedgerConfig): SqlLedger {
  return new SqlLedger(new PgLedgerDriver(db), config);
}
