// The meals the tills served, folded from their canteen.meal events, and the flags the fold raises,
// on either database behind one SQL face ($1.. placeholders; SQLite's driver rewrites them). The
// fold's page is written in the transaction that moves its cursor compare-and-set, so two hub
// processes folding the same page write it once. PostgreSQL: migration 12 in hub/pg-schema.ts.
import type pg from 'pg';
import { HubDb } from '../db.js';
import type { PgDb, PgQueryable } from '../pg-db.js';

export type MealParam = string | number | null;

export interface MealSql {
  query<T extends object>(sql: string, params?: readonly MealParam[]): Promise<T[]>;
}

export interface MealDriver {
  write<T>(work: (sql: MealSql) => Promise<T>): Promise<T>;
  read<T>(work: (sql: MealSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const MEAL_FLAG_KINDS = ['double_free_meal', 'charge_refused', 'invalid_event'] as const;
export type MealFlagKind = (typeof MEAL_FLAG_KINDS)[number];

export interface MealFlag {
  id: number;
  kind: MealFlagKind;
  eventId: string;
  otherEventId: string;
  detail: Record<string, unknown>;
  createdMs: number;
}

/** Who marked a flag resolved, when, and what they wrote (the school settled it: a refund, a note to the supplier). */
export interface FlagResolution {
  flagId: number;
  resolvedMs: number;
  resolvedBy: string;
  note: string;
}

export interface MealRecord {
  eventId: string;
  deviceId: string;
  personId: string;
  date: string;
  periodId: string;
  free: boolean;
  chargeTiyn: number;
  subsidyTiyn: number;
  conflict: boolean;
}

export const MEAL_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS canteen_meals (
  event_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, hub_seq INTEGER NOT NULL, person_id TEXT NOT NULL, day TEXT NOT NULL,
  period_id TEXT NOT NULL, free INTEGER NOT NULL, free_category TEXT, charge_tiyn INTEGER NOT NULL, subsidy_tiyn INTEGER NOT NULL,
  served_ms INTEGER NOT NULL, conflict INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS canteen_meals_person_day ON canteen_meals (person_id, day, period_id);
CREATE TABLE IF NOT EXISTS canteen_flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, event_id TEXT NOT NULL, other_event_id TEXT NOT NULL,
  detail TEXT NOT NULL, created_ms INTEGER NOT NULL, UNIQUE (kind, event_id, other_event_id));
CREATE TABLE IF NOT EXISTS canteen_cursor (name TEXT PRIMARY KEY, hub_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS canteen_flag_resolutions (
  flag_id INTEGER PRIMARY KEY REFERENCES canteen_flags (id), resolved_ms INTEGER NOT NULL, resolved_by TEXT NOT NULL, note TEXT NOT NULL);
INSERT OR IGNORE INTO canteen_cursor (name, hub_seq) VALUES ('meals', 0);
`;

interface MealRow {
  event_id: string;
  device_id: string;
  person_id: string;
  day: string;
  period_id: string;
  free: number;
  charge_tiyn: number;
  subsidy_tiyn: number;
  conflict: number;
}

interface FlagRow {
  id: number;
  kind: string;
  event_id: string;
  other_event_id: string;
  detail: string;
  created_ms: number;
}

function detailOf(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {}; // a read path never throws on stored data
  }
}

/** Reads of the folded meals and flags; the fold writes through `driver.write`. */
export class MealStore {
  constructor(readonly driver: MealDriver) {}

  close(): Promise<void> {
    return this.driver.close();
  }

  async cursor(): Promise<number> {
    const rows = await this.driver.read((sql) => sql.query<{ hub_seq: number }>("SELECT hub_seq FROM canteen_cursor WHERE name = 'meals'"));
    return Number(rows[0]?.hub_seq ?? 0);
  }

  async meals(personId: string): Promise<MealRecord[]> {
    const rows = await this.driver.read((sql) =>
      sql.query<MealRow>('SELECT event_id, device_id, person_id, day, period_id, free, charge_tiyn, subsidy_tiyn, conflict FROM canteen_meals WHERE person_id = $1 ORDER BY served_ms, event_id', [personId]),
    );
    return rows.map((row) => ({
      eventId: row.event_id, deviceId: row.device_id, personId: row.person_id, date: row.day, periodId: row.period_id, free: Number(row.free) === 1,
      chargeTiyn: Number(row.charge_tiyn), subsidyTiyn: Number(row.subsidy_tiyn), conflict: Number(row.conflict) === 1,
    }));
  }

  /** Every meal of one school-local day, by person (the tills' snapshot: what was served today, by which event). */
  async mealsOn(day: string): Promise<Array<{ eventId: string; personId: string; periodId: string; free: boolean; chargeTiyn: number }>> {
    const rows = await this.driver.read((sql) =>
      sql.query<{ event_id: string; person_id: string; period_id: string; free: number; charge_tiyn: number | string }>(
        'SELECT event_id, person_id, period_id, free, charge_tiyn FROM canteen_meals WHERE day = $1 ORDER BY person_id, served_ms, event_id',
        [day],
      ),
    );
    return rows.map((r) => ({ eventId: r.event_id, personId: r.person_id, periodId: r.period_id, free: Number(r.free) === 1, chargeTiyn: Number(r.charge_tiyn) }));
  }

  /** Free meals served from `fromDay` to `toDay` (school-local dates, inclusive), per child and category. */
  async freeMealTotals(fromDay: string, toDay: string): Promise<Array<{ personId: string; category: string | null; meals: number; costTiyn: number; doubleServed: number }>> {
    const rows = await this.driver.read((sql) =>
      sql.query<{ person_id: string; free_category: string | null; meals: number | string; cost: number | string | null; doubled: number | string | null }>(
        `SELECT person_id, free_category, COUNT(*) AS meals, SUM(subsidy_tiyn) AS cost, SUM(conflict) AS doubled FROM canteen_meals
          WHERE free = 1 AND day >= $1 AND day <= $2 GROUP BY person_id, free_category ORDER BY person_id, free_category`,
        [fromDay, toDay],
      ),
    );
    return rows.map((r) => ({ personId: r.person_id, category: r.free_category, meals: Number(r.meals), costTiyn: Number(r.cost ?? 0), doubleServed: Number(r.doubled ?? 0) }));
  }

  /** One day's meals per period, free and paid, for the kitchen. */
  async dayCounts(day: string): Promise<Array<{ periodId: string; free: number; paid: number; chargeTiyn: number; subsidyTiyn: number }>> {
    const rows = await this.driver.read((sql) =>
      sql.query<{ period_id: string; free: number | string; paid: number | string; charge: number | string | null; subsidy: number | string | null }>(
        `SELECT period_id, SUM(free) AS free, SUM(1 - free) AS paid, SUM(charge_tiyn) AS charge, SUM(subsidy_tiyn) AS subsidy FROM canteen_meals
          WHERE day = $1 GROUP BY period_id ORDER BY period_id`,
        [day],
      ),
    );
    return rows.map((r) => ({ periodId: r.period_id, free: Number(r.free), paid: Number(r.paid), chargeTiyn: Number(r.charge ?? 0), subsidyTiyn: Number(r.subsidy ?? 0) }));
  }

  async flags(afterId: number, limit: number): Promise<MealFlag[]> {
    const rows = await this.driver.read((sql) => sql.query<FlagRow>('SELECT id, kind, event_id, other_event_id, detail, created_ms FROM canteen_flags WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]));
    return rows.map((row) => ({ id: Number(row.id), kind: row.kind as MealFlagKind, eventId: row.event_id, otherEventId: row.other_event_id, detail: detailOf(row.detail), createdMs: Number(row.created_ms) }));
  }

  /**
   * Marks a flag resolved, once: a row beside the flag (the fold's table is never updated). The first
   * resolution stands; a second answers already_resolved.
   */
  async resolveFlag(flagId: number, resolvedBy: string, note: string, nowMs: number): Promise<'resolved' | 'already_resolved' | 'not_found'> {
    return this.driver.write(async (sql) => {
      const found = await sql.query<{ id: number }>('SELECT id FROM canteen_flags WHERE id = $1', [flagId]);
      if (found.length === 0) return 'not_found';
      const inserted = await sql.query<{ flag_id: number }>(
        'INSERT INTO canteen_flag_resolutions (flag_id, resolved_ms, resolved_by, note) VALUES ($1, $2, $3, $4) ON CONFLICT (flag_id) DO NOTHING RETURNING flag_id',
        [flagId, nowMs, resolvedBy, note],
      );
      return inserted.length === 0 ? 'already_resolved' : 'resolved';
    });
  }

  /** The resolutions of the flags with ids in (afterId, upToId]: a page of flags' worth. */
  async flagResolutions(afterId: number, upToId: number): Promise<Map<number, FlagResolution>> {
    const rows = await this.driver.read((sql) =>
      sql.query<{ flag_id: number | string; resolved_ms: number | string; resolved_by: string; note: string }>(
        'SELECT flag_id, resolved_ms, resolved_by, note FROM canteen_flag_resolutions WHERE flag_id > $1 AND flag_id <= $2',
        [afterId, upToId],
      ),
    );
    return new Map(rows.map((r) => [Number(r.flag_id), { flagId: Number(r.flag_id), resolvedMs: Number(r.resolved_ms), resolvedBy: r.resolved_by, note: r.note }]));
  }
}

class SqliteMealDriver implements MealDriver {
  private readonly sql: MealSql;

  constructor(private readonly db: HubDb) {
    this.sql = { query: <T extends object>(text: string, params: readonly MealParam[] = []) => this.db.all<T>(text.replace(/\$(\d+)/g, '?$1'), params) };
  }

  write<T>(work: (sql: MealSql) => Promise<T>): Promise<T> {
    return this.db.transaction(() => work(this.sql));
  }

  read<T>(work: (sql: MealSql) => Promise<T>): Promise<T> {
    return this.db.committed(() => work(this.sql));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function pgSql(tx: PgQueryable): MealSql {
  return { query: <T extends object>(text: string, params: readonly MealParam[] = []) => tx.query<T & pg.QueryResultRow>(text, params) };
}

class PgMealDriver implements MealDriver {
  constructor(private readonly db: PgDb) {}

  write<T>(work: (sql: MealSql) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(pgSql(tx)));
  }

  read<T>(work: (sql: MealSql) => Promise<T>): Promise<T> {
    return work(pgSql(this.db));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The hub's SQLite file, through a connection of its own; creates the tables if missing. */
export async function openSqliteMealStore(file: string): Promise<MealStore> {
  const db = await HubDb.open(file);
  await db.exec(MEAL_SQLITE_SCHEMA);
  return new MealStore(new SqliteMealDriver(db));
}

/** A migrated PostgreSQL hub database (migration 12), through the given pool. */
export function pgMealStore(db: PgDb): MealStore {
  return new MealStore(new PgMealDriver(db));
}
