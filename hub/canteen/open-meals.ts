// The fold of the tills' meals a hub process runs, on the database the hub's location names, over
// a connection of its own (like the library's), with the canteen's settings on the same connection;
// on PostgreSQL their tables are migrations 12 and 13, applied
// by the hub storage, which must have been opened first.
import { parseStorageLocation } from '../open-storage.js';
import type { PgLogger } from '../pg-db.js';
import type { HubStorage } from '../storage.js';
import type { CanteenLedger } from './ledger-types.js';
import { DEFAULT_MEAL_FOLDER_OPTIONS, MealFolder, type MealFolderOptions } from './meal-fold.js';
import { openSqliteMealStore, type MealStore } from './meal-store.js';
import { canteenSettingsOn, type CanteenSettingsStore } from './settings-store.js';

export interface OpenedMeals {
  store: MealStore;
  /** The canteen's settings (menu, register, guardians), on the same connection. */
  settings: CanteenSettingsStore;
  folder: MealFolder;
  /** Stops the folder, then closes the connection. */
  close(): Promise<void>;
}

export async function openCanteenMeals(location: string, storage: HubStorage, ledger: CanteenLedger, logger: PgLogger, options: MealFolderOptions = DEFAULT_MEAL_FOLDER_OPTIONS): Promise<OpenedMeals> {
  const parsed = parseStorageLocation(location);
  let store: MealStore;
  if (parsed.kind === 'sqlite') store = await openSqliteMealStore(parsed.file);
  else {
    const [{ PgDb }, { pgMealStore }] = await Promise.all([import('../pg-db.js'), import('./meal-store.js')]);
    store = pgMealStore(PgDb.open(parsed.url, logger, 2, 'esik-hub-canteen-meals'));
  }
  const settings = await canteenSettingsOn(store.driver, parsed.kind);
  const folder = new MealFolder(storage, ledger, store, logger, Date.now, options);
  return {
    store,
    settings,
    folder,
    close: async () => {
      await folder.stop();
      await store.close();
    },
  };
}

/** ESIK_HUB_CANTEEN_FOLD_MS: how often the fold looks for new meals (default 2 s, 100 ms-10 min). */
export function mealFolderOptionsFromEnv(env: NodeJS.ProcessEnv): MealFolderOptions {
  const raw = env.ESIK_HUB_CANTEEN_FOLD_MS;
  if (raw === undefined || raw === '') return DEFAULT_MEAL_FOLDER_OPTIONS;
  const intervalMs = Number(raw);
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 600_000) throw new Error(`invalid ESIK_HUB_CANTEEN_FOLD_MS ${raw}: whole milliseconds, 100 to 600000`);
  return { ...DEFAULT_MEAL_FOLDER_OPTIONS, intervalMs };
}
