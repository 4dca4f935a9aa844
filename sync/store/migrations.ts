// Forward-only numbered migrations, tracked by PRAGMA user_version. Each runs in its own
// transaction together with the user_version bump, so a crash mid-migration leaves the previous
// version intact. Never edit a released migration; add the next number.
import { StoreSchemaError } from './errors.js';
import { SqliteConnection, num } from './db.js';

interface Migration {
  version: number;
  statements: readonly string[];
}

const ROSTER_V1 = [
  `CREATE TABLE groups (
     name TEXT PRIMARY KEY NOT NULL,
     bell_time TEXT
   )`,
  // name and short name are sealed with the FieldCipher; everything else stays queryable.
  `CREATE TABLE people (
     id TEXT PRIMARY KEY NOT NULL,
     name_sealed BLOB NOT NULL,
     short_name_sealed BLOB,
     group_name TEXT REFERENCES groups(name),
     role TEXT NOT NULL CHECK (role IN ('student', 'staff', 'visitor', 'guardian')),
     status TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'inactive')),
     valid_from TEXT,
     valid_to TEXT,
     biometric_consent INTEGER NOT NULL CHECK (biometric_consent IN (0, 1)),
     display_consent TEXT NOT NULL CHECK (display_consent IN ('none', 'initials', 'short', 'full')),
     seen_gen INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE TABLE credentials (
     id TEXT PRIMARY KEY NOT NULL,
     person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
     kind TEXT NOT NULL CHECK (kind IN ('card', 'qr')),
     value TEXT NOT NULL,
     valid_from TEXT,
     valid_to TEXT,
     single_use INTEGER NOT NULL CHECK (single_use IN (0, 1)),
     seen_gen INTEGER NOT NULL DEFAULT 0,
     UNIQUE (kind, value)
   )`,
  `CREATE INDEX credentials_person ON credentials(person_id)`,
  `CREATE TABLE templates (
     id TEXT PRIMARY KEY NOT NULL,
     person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
     modality TEXT NOT NULL CHECK (modality IN ('face', 'palm')),
     algo TEXT NOT NULL,
     dims INTEGER NOT NULL,
     vector_sealed BLOB NOT NULL,
     seen_gen INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE INDEX templates_person ON templates(person_id)`,
  `CREATE TABLE schedules (id TEXT PRIMARY KEY NOT NULL, body TEXT NOT NULL, seen_gen INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE holidays (date TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, seen_gen INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, seen_gen INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE doors (name TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, updated_ms INTEGER NOT NULL)`,
];

const EVENTS_V1 = [
  // seq is the rowid and is assigned by the event log inside the committing transaction.
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY NOT NULL,
     id TEXT NOT NULL UNIQUE,
     device_id TEXT NOT NULL,
     boot_id TEXT NOT NULL,
     mono_ms REAL NOT NULL,
     wall_ms INTEGER NOT NULL,
     at TEXT NOT NULL,
     time_trusted INTEGER NOT NULL CHECK (time_trusted IN (0, 1)),
     type TEXT NOT NULL,
     door TEXT,
     direction TEXT CHECK (direction IN ('in', 'out')),
     person_id TEXT,
     credential TEXT,
     reason TEXT,
     data TEXT,
     sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'synced', 'quarantined')),
     sync_error TEXT,
     synced_ms INTEGER
   )`,
  `CREATE INDEX events_pending ON events(seq) WHERE sync_state = 'pending'`,
  `CREATE INDEX events_quarantined ON events(seq) WHERE sync_state = 'quarantined'`,
  `CREATE INDEX events_wall ON events(wall_ms)`,
  `CREATE INDEX events_last_grant ON events(person_id, seq) WHERE type = 'access.granted' AND person_id IS NOT NULL`,
  // One-time credentials consumed by a grant; kept apart from the roster so a full re-pull cannot revive them.
  `CREATE TABLE credential_uses (credential_id TEXT PRIMARY KEY NOT NULL, event_seq INTEGER NOT NULL, wall_ms INTEGER NOT NULL)`,
  `CREATE TABLE kv (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)`,
];

const MIGRATIONS: readonly Migration[] = [{ version: 1, statements: [...ROSTER_V1, ...EVENTS_V1] }];

/** Highest migration number this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export async function userVersion(db: SqliteConnection): Promise<number> {
  const row = await db.read('read user_version', (sql) => sql.get('PRAGMA user_version'));
  return row ? num(row, 'user_version') : 0;
}

export function assertKnownVersion(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreSchemaError(
      `${file} has schema version ${version}, newer than this esik knows (${SCHEMA_VERSION}); ` +
        'refusing to open it (roll forward the software, or restore a backup made by this version)',
    );
  }
}

/** Applies every migration above the file's version; returns the versions applied. */
export async function migrate(db: SqliteConnection, file: string): Promise<number[]> {
  const current = await userVersion(db);
  assertKnownVersion(current, file);
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    await db.transaction(`migration ${migration.version}`, async (sql) => {
      for (const statement of migration.statements) await sql.exec(statement);
      await sql.exec(`PRAGMA user_version = ${migration.version}`);
    });
    applied.push(migration.version);
  }
  return applied;
}
