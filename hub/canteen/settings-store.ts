// The canteen's settings the tills' snapshot is made of (issue 19): the menu document (periods, the
// menu with prices in tiyn, the staff-meal rule), the free-meal register, and guardians' settings
// per child. On either database through the meal store's SQL face (meal-store.ts: same connection,
// $1.. placeholders); PostgreSQL: migration 13 in hub/pg-schema.ts, SQLite: the schema below.
// The menu is kept as one validated document, checked by the very schema a till reads its file with
// (protocol/canteen-snapshot.ts): what the hub stores, a till accepts. A read path never throws on
// stored data: a row that no longer parses is left out and named in the answer's `skipped`.
import { canteenFileSchema, freeMealEntrySchema, guardianSettingsSchema, type CanteenFile } from '../../protocol/index.js';
import type { z } from 'zod';
import type { MealDriver, MealSql } from './meal-store.js';

export const SETTINGS_SQLITE_SCHEMA = [
  'CREATE TABLE IF NOT EXISTS canteen_settings (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_ms INTEGER NOT NULL)',
  `CREATE TABLE IF NOT EXISTS canteen_free_meals (
     person_id TEXT NOT NULL, category TEXT NOT NULL, valid_from TEXT, valid_to TEXT, periods TEXT NOT NULL,
     updated_ms INTEGER NOT NULL, PRIMARY KEY (person_id, category))`,
  `CREATE TABLE IF NOT EXISTS canteen_guardian_settings (
     person_id TEXT PRIMARY KEY, daily_limit_tiyn INTEGER, blocked_allergens TEXT NOT NULL, updated_ms INTEGER NOT NULL)`,
  // The snapshot reads one day's meals of every child (canteen_meals is the meal store's, created first).
  'CREATE INDEX IF NOT EXISTS canteen_meals_day ON canteen_meals (day)',
] as const;

export type FreeMealEntry = z.infer<typeof freeMealEntrySchema>;
export type GuardianCanteenSettings = z.infer<typeof guardianSettingsSchema>;

/** One row of the free-meal register: a person's entitlement under one category. */
export interface RegisterEntry extends FreeMealEntry {
  personId: string;
}

const MENU = 'menu';
const CHUNK = 200;

interface RegisterRow {
  person_id: string;
  category: string;
  valid_from: string | null;
  valid_to: string | null;
  periods: string;
}

interface GuardianRow {
  person_id: string;
  daily_limit_tiyn: number | string | null;
  blocked_allergens: string;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function registerEntryOf(row: RegisterRow): RegisterEntry | null {
  const parsed = freeMealEntrySchema.safeParse({ category: row.category, validFrom: row.valid_from, validTo: row.valid_to, periods: parsedJson(row.periods) });
  return parsed.success ? { personId: row.person_id, ...parsed.data } : null;
}

function guardianOf(row: GuardianRow): GuardianCanteenSettings | null {
  const parsed = guardianSettingsSchema.safeParse({ dailyLimitTiyn: row.daily_limit_tiyn === null ? null : Number(row.daily_limit_tiyn), blockedAllergens: parsedJson(row.blocked_allergens) });
  return parsed.success ? parsed.data : null;
}

async function upsertRegister(sql: MealSql, entries: readonly RegisterEntry[], nowMs: number): Promise<void> {
  for (let i = 0; i < entries.length; i += CHUNK) {
    const chunk = entries.slice(i, i + CHUNK);
    const values = chunk.map((_, r) => `(${Array.from({ length: 6 }, (_unused, c) => `$${r * 6 + c + 1}`).join(', ')})`).join(', ');
    await sql.query(
      `INSERT INTO canteen_free_meals (person_id, category, valid_from, valid_to, periods, updated_ms) VALUES ${values}
       ON CONFLICT (person_id, category) DO UPDATE SET valid_from = excluded.valid_from, valid_to = excluded.valid_to, periods = excluded.periods, updated_ms = excluded.updated_ms`,
      chunk.flatMap((e) => [e.personId, e.category, e.validFrom, e.validTo, JSON.stringify(e.periods), nowMs]),
    );
  }
}

export class CanteenSettingsStore {
  constructor(private readonly driver: MealDriver) {}

  /** The menu document; null when none was ever set (or the stored one no longer parses). */
  async menu(): Promise<CanteenFile | null> {
    const rows = await this.driver.read((sql) => sql.query<{ body: string }>('SELECT body FROM canteen_settings WHERE name = $1', [MENU]));
    const row = rows[0];
    if (row === undefined) return null;
    const parsed = canteenFileSchema.safeParse(parsedJson(row.body));
    return parsed.success ? parsed.data : null;
  }

  async setMenu(menu: CanteenFile, nowMs: number): Promise<void> {
    const body = JSON.stringify(canteenFileSchema.parse(menu));
    await this.driver.write((sql) =>
      sql.query('INSERT INTO canteen_settings (name, body, updated_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms', [MENU, body, nowMs]),
    );
  }

  /**
   * Writes the register's entries in one transaction: each (person, category) upserted, or, with
   * `replace`, the whole register replaced by these (the file is the register).
   */
  async saveRegister(entries: readonly RegisterEntry[], replace: boolean, nowMs: number): Promise<void> {
    await this.driver.write(async (sql) => {
      if (replace) await sql.query('DELETE FROM canteen_free_meals');
      await upsertRegister(sql, entries, nowMs);
    });
  }

  /** The register, or one person's entries; rows that no longer parse are counted in `skipped`. */
  async register(personId: string | null = null): Promise<{ entries: RegisterEntry[]; skipped: number }> {
    const columns = 'person_id, category, valid_from, valid_to, periods';
    const rows = await this.driver.read((sql) =>
      personId === null
        ? sql.query<RegisterRow>(`SELECT ${columns} FROM canteen_free_meals ORDER BY person_id, category`)
        : sql.query<RegisterRow>(`SELECT ${columns} FROM canteen_free_meals WHERE person_id = $1 ORDER BY category`, [personId]),
    );
    const entries = rows.map(registerEntryOf);
    return { entries: entries.filter((e): e is RegisterEntry => e !== null), skipped: entries.filter((e) => e === null).length };
  }

  async guardian(personId: string): Promise<GuardianCanteenSettings | null> {
    const rows = await this.driver.read((sql) => sql.query<GuardianRow>('SELECT person_id, daily_limit_tiyn, blocked_allergens FROM canteen_guardian_settings WHERE person_id = $1', [personId]));
    return rows[0] === undefined ? null : guardianOf(rows[0]);
  }

  async setGuardian(personId: string, settings: GuardianCanteenSettings, nowMs: number): Promise<void> {
    const valid = guardianSettingsSchema.parse(settings);
    await this.driver.write((sql) =>
      sql.query(
        `INSERT INTO canteen_guardian_settings (person_id, daily_limit_tiyn, blocked_allergens, updated_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (person_id) DO UPDATE SET daily_limit_tiyn = excluded.daily_limit_tiyn, blocked_allergens = excluded.blocked_allergens, updated_ms = excluded.updated_ms`,
        [personId, valid.dailyLimitTiyn, JSON.stringify(valid.blockedAllergens), nowMs],
      ),
    );
  }

  /** Every child's guardian settings (the snapshot); unreadable rows are left out. */
  async guardians(): Promise<Map<string, GuardianCanteenSettings>> {
    const rows = await this.driver.read((sql) => sql.query<GuardianRow>('SELECT person_id, daily_limit_tiyn, blocked_allergens FROM canteen_guardian_settings ORDER BY person_id'));
    const out = new Map<string, GuardianCanteenSettings>();
    for (const row of rows) {
      const settings = guardianOf(row);
      if (settings !== null) out.set(row.person_id, settings);
    }
    return out;
  }
}

/** The settings over the meal store's connection; on SQLite its tables are created if missing. */
export async function canteenSettingsOn(driver: MealDriver, dialect: 'sqlite' | 'postgres'): Promise<CanteenSettingsStore> {
  if (dialect === 'sqlite') {
    await driver.write(async (sql) => {
      for (const statement of SETTINGS_SQLITE_SCHEMA) await sql.query(statement);
    });
  }
  return new CanteenSettingsStore(driver);
}
