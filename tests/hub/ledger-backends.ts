// The canteen ledger on both hub storages for the ledger tests: SQLite in a temp folder, and
// PostgreSQL on one throwaway server per test file with a fresh, migrated database per ledger.
// open(sameAs) gives a second handle on the same database: another hub "process" (on PostgreSQL,
// its own connection pool).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgLedger, openSqliteLedger, type CanteenLedger, type LedgerConfig } from '../../hub/canteen/index.js';
import { HubDb } from '../../hub/db.js';
import { PgDb } from '../../hub/pg-db.js';
import { migrate } from '../../hub/pg-schema.js';
import { silentLogger } from '../sync/helpers.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';

export const RUNS = Number(process.env.ESIK_CANTEEN_RUNS ?? 25);
export const CONFIG: LedgerConfig = { offlineAllowanceTiyn: 50_000 };

export interface LedgerHandle {
  ledger: CanteenLedger;
  /** Where it lives: another handle opened with it reaches the same database. */
  location: string;
  /** Runs raw SQL on the same database (to show what the schema itself refuses). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface LedgerBackend {
  name: 'sqlite' | 'postgres';
  start(): Promise<void>;
  open(sameAs?: LedgerHandle, config?: LedgerConfig): Promise<LedgerHandle>;
  stop(): Promise<void>;
  /** The server, for tests that run SQL of their own (PostgreSQL only). */
  server(): TempPostgres | null;
}

function sqliteBackend(): LedgerBackend {
  let dir = '';
  let count = 0;
  return {
    name: 'sqlite',
    async start() {
      dir = await mkdtemp(join(tmpdir(), 'esik-ledger-'));
    },
    async open(sameAs, config = CONFIG) {
      const location = sameAs?.location ?? join(dir, `ledger-${++count}.db`);
      const db = await HubDb.open(location);
      return { ledger: await openSqliteLedger(db, config), location, exec: (sql) => db.exec(sql), close: () => db.close() };
    },
    stop: () => rm(dir, { recursive: true, force: true }),
    server: () => null,
  };
}

function postgresBackend(): LedgerBackend {
  let server: TempPostgres | null = null;
  return {
    name: 'postgres',
    async start() {
      server = await startPostgres();
    },
    async open(sameAs, config = CONFIG) {
      if (!server) throw new Error('postgres backend not started');
      const location = sameAs?.location ?? (await server.createDatabase());
      const db = PgDb.open(location, silentLogger, 10);
      await migrate(db);
      return { ledger: openPgLedger(db, config), location, exec: async (sql) => void (await db.query(sql)), close: () => db.close() };
    },
    stop: async () => server?.stop(),
    server: () => server,
  };
}

export const ledgerBackends: ReadonlyArray<[string, () => LedgerBackend]> = [
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
];

/**
 * The accounts every test starts from: a cashier's till, the canteen's revenue, the state subsidy,
 * children. `prefix` keeps several schools (property runs) apart in one database.
 */
export async function openSchool(ledger: CanteenLedger, children: number, floorTiyn = 0, prefix = ''): Promise<string[]> {
  await ledger.openAccount({ id: `${prefix}cash`, kind: 'cash', personId: null, floorTiyn: null }, 0);
  await ledger.openAccount({ id: `${prefix}revenue`, kind: 'revenue', personId: null, floorTiyn: null }, 0);
  await ledger.openAccount({ id: `${prefix}subsidy`, kind: 'subsidy', personId: null, floorTiyn: null }, 0);
  const ids: string[] = [];
  for (let i = 0; i < children; i++) {
    const id = `${prefix}child-${i}`;
    await ledger.openAccount({ id, kind: 'person', personId: `${prefix}p-${i}`, floorTiyn }, 0);
    ids.push(id);
  }
  return ids;
}
