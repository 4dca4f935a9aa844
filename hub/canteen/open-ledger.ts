// The ledger a hub process runs with, on the database the hub's location names, over a connection
// of its own (like the notifier's store): the SQLite file's WAL and BEGIN IMMEDIATE serialise its
// writers with the storage's; on PostgreSQL its own pool, the migrations having run (again: they
// are idempotent under their advisory lock). The offline allowance comes from the environment.
import { HubDb } from '../db.js';
import { parseStorageLocation } from '../open-storage.js';
import type { PgLogger } from '../pg-db.js';
import { checkLedgerConfig } from './ledger-rules.js';
import type { CanteenLedger, LedgerConfig } from './ledger-types.js';
import { openSqliteLedger } from './sqlite-ledger.js';

/** 1,000 ₸: about one lunch; what an offline till may charge a child beyond what it knew. */
export const DEFAULT_OFFLINE_ALLOWANCE_TIYN = 100_000;

/** ESIK_HUB_CANTEEN_OFFLINE_ALLOWANCE_TIYN (a non-negative integer), else the default; refuses anything else. */
export function ledgerConfigFromEnv(env: NodeJS.ProcessEnv): LedgerConfig {
  const text = env.ESIK_HUB_CANTEEN_OFFLINE_ALLOWANCE_TIYN?.trim();
  const offlineAllowanceTiyn = text ? Number(text) : DEFAULT_OFFLINE_ALLOWANCE_TIYN;
  if (text && !/^\d+$/.test(text)) throw new Error(`invalid ESIK_HUB_CANTEEN_OFFLINE_ALLOWANCE_TIYN: ${text} (integer tiyn)`);
  checkLedgerConfig(offlineAllowanceTiyn);
  return { offlineAllowanceTiyn };
}

export async function openCanteenLedger(location: string, logger: PgLogger, config: LedgerConfig, poolSize = 4): Promise<{ ledger: CanteenLedger; close(): Promise<void> }> {
  const parsed = parseStorageLocation(location);
  if (parsed.kind === 'sqlite') {
    const db = await HubDb.open(parsed.file);
    return { ledger: await openSqliteLedger(db, config), close: () => db.close() };
  }
  // PostgreSQL's driver is loaded only when a URL names it, as in open-storage.ts.
  const [{ PgDb }, { migrate }, { openPgLedger }] = await Promise.all([import('../pg-db.js'), import('../pg-schema.js'), import('./pg-ledger.js')]);
  const db = PgDb.open(parsed.url, logger, poolSize, 'esik-hub-canteen');
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { ledger: openPgLedger(db, config), close: () => db.close() };
}
