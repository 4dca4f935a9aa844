// The canteen's money on the hub: a double-entry ledger (TigerBeetle's model) on SQLite or
// PostgreSQL behind one interface, and its admin HTTP routes; the canteen's settings (menu, free-meal
// register, guardians' settings) and the tills' snapshot made from them and the ledger.
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
  type PersonBalances,
  type StatementPage,
  type StoredTransfer,
  type TransferInput,
  type TransferKind,
  type TransferResult,
} from './ledger-types.js';
export { registerLedgerRoutes, type LedgerRouteOptions } from './ledger-routes.js';
export { DEFAULT_OFFLINE_ALLOWANCE_TIYN, ledgerConfigFromEnv, openCanteenLedger } from './open-ledger.js';
export { MealFolder, DEFAULT_MEAL_FOLDER_OPTIONS, REVENUE_ACCOUNT, SUBSIDY_ACCOUNT, personAccount, type MealFolderOptions } from './meal-fold.js';
export { MealStore, MEAL_FLAG_KINDS, MEAL_SQLITE_SCHEMA, openSqliteMealStore, pgMealStore, type FlagResolution, type MealFlag, type MealFlagKind, type MealRecord } from './meal-store.js';
export { openCanteenMeals, mealFolderOptionsFromEnv, type OpenedMeals } from './open-meals.js';
export { freeMealCsv, freeMealReport, freeMealXlsx, tenge, type FreeMealLine, type FreeMealReport } from './reports.js';
export { CanteenSettingsStore, SETTINGS_SQLITE_SCHEMA, canteenSettingsOn, type FreeMealEntry, type GuardianCanteenSettings, type RegisterEntry } from './settings-store.js';
export { parseRegisterCsv, MAX_REGISTER_ROWS, type RegisterCsvRow } from './register-csv.js';
export { importRegister, registerCanteenSettingsRoutes, MAX_REGISTER_BYTES, type CanteenSettingsRouteOptions, type RegisterImportResult } from './settings-routes.js';
export { buildTillSnapshot, schoolDay, type SnapshotSources } from './snapshot.js';
export { CanteenTopUps, TOP_UP_SOURCES, cashAccount, reversalId, type TopUpInput, type TopUpSource } from './topups.js';
export { registerTopUpWebhook, providerTransferId, WEBHOOK_BODY_LIMIT, type TopUpWebhookOptions } from './topup-webhook.js';
export { CANTEEN_CONSOLE_KIT, type CanteenConsoleKit } from './console-kit.js';
