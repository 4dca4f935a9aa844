// The canteen's money on the hub: a double-entry ledger (TigerBeetle's model) on SQLite or
// PostgreSQL behind one interface, and its admin HTTP routes.
export { openSqliteLedger } from './sqlite-ledger.js';
export { openPgLedger } from './pg-ledger.js';
export { LedgerError, type LedgerErrorCode } from './ledger-rules.js';
export {
  ACCOUNT_KINDS,
  TRANSFER_KINDS,
  type AccountBalance,
  type AccountInput,
  type AccountKind,
  type BatchTransferResult,
  type CanteenLedger,
  type LedgerConfig,
  type StatementEntry,
  type StatementPage,
  type StoredTransfer,
  type TransferInput,
  type TransferKind,
  type TransferResult,
} from './ledger-types.js';
export { registerLedgerRoutes, type LedgerRouteOptions } from './ledger-routes.js';
export { DEFAULT_OFFLINE_ALLOWANCE_TIYN, ledgerConfigFromEnv, openCanteenLedger } from './open-ledger.js';
export { MealFolder, DEFAULT_MEAL_FOLDER_OPTIONS, REVENUE_ACCOUNT, SUBSIDY_ACCOUNT, personAccount, type MealFolderOptions } from './meal-fold.js';
export { MealStore, MEAL_FLAG_KINDS, MEAL_SQLITE_SCHEMA, openSqliteMealStore, pgMealStore, type MealFlag, type MealFlagKind, type MealRecord } from './meal-store.js';
export { openCanteenMeals, mealFolderOptionsFromEnv, type OpenedMeals } from './open-meals.js';
export { freeMealCsv, freeMealReport, freeMealXlsx, tenge, type FreeMealLine, type FreeMealReport } from './reports.js';
