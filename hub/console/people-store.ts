// What the console keeps about a person beyond the roster the kiosks pull: the ИИН, the name in
// its parts, the birth date, and guardians' phones with their links to children. None of it goes to
// a kiosk (a door needs a name and a class, never an ИИН or a phone), so it lives in the hub's
// database only, beside the roster, keyed by the roster's person id. SQLite here, PostgreSQL in
// people-pg-store.ts (its tables are a migration in hub/pg-schema.ts).
import type { HubDb } from '../db.js';

export interface PersonDetails {
  personId: string;
  iin: string;
  surname: string;
  givenName: string;
  patronymic: string | null;
  birthDate: string;
}

export interface GuardianRecord {
  id: string;
  name: string;
  /** +7XXXXXXXXXX */
  phone: string;
}

export interface GuardianLink {
  guardianId: string;
  childId: string;
}

export interface PeopleStore {
  migrate(): Promise<void>;
  /** Person ids already given to these ИИНs. */
  idsByIin(iins: readonly string[]): Promise<Map<string, string>>;
  /** Guardian ids already given to these phones. */
  guardianIdsByPhone(phones: readonly string[]): Promise<Map<string, string>>;
  /** One transaction: details and guardians upserted; the children's guardian links replaced by `links` when `replaceLinks`. */
  save(details: readonly PersonDetails[], guardians: readonly GuardianRecord[], links: readonly GuardianLink[], replaceLinks: boolean, nowMs: number): Promise<void>;
  details(personIds: readonly string[]): Promise<Map<string, PersonDetails>>;
  guardiansOf(childIds: readonly string[]): Promise<Map<string, GuardianRecord[]>>;
  /**
   * Removes what the hub keeps beside the roster for this person (a child's ИИН and links; a
   * guardian's phone), and any guardian left linked to no child; returns those guardians' ids so
   * their roster rows can be deleted too. For erasure on request (hub/privacy calls it).
   */
  erase(personId: string): Promise<string[]>;
}

export const PEOPLE_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS console_people (
  person_id TEXT PRIMARY KEY, iin TEXT NOT NULL UNIQUE, surname TEXT NOT NULL, given_name TEXT NOT NULL, patronymic TEXT,
  birth_date TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS console_guardians (id TEXT PRIMARY KEY, phone TEXT NOT NULL UNIQUE, name TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS console_guardian_links (child_id TEXT NOT NULL, guardian_id TEXT NOT NULL, PRIMARY KEY (child_id, guardian_id));
CREATE INDEX IF NOT EXISTS console_guardian_links_guardian ON console_guardian_links (guardian_id);
`;

interface DetailsRow {
  person_id: string;
  iin: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  birth_date: string;
}

export function rowToDetails(r: DetailsRow): PersonDetails {
  return { personId: r.person_id, iin: r.iin, surname: r.surname, givenName: r.given_name, patronymic: r.patronymic, birthDate: r.birth_date };
}

export function groupGuardians(rows: ReadonlyArray<{ child_id: string; id: string; name: string; phone: string }>): Map<string, GuardianRecord[]> {
  const out = new Map<string, GuardianRecord[]>();
  for (const r of rows) {
    const list = out.get(r.child_id) ?? [];
    list.push({ id: r.id, name: r.name, phone: r.phone });
    out.set(r.child_id, list);
  }
  return out;
}

/** SQLite's bound-parameter limit is far above a class, but an import asks for thousands at once. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export class SqlitePeopleStore implements PeopleStore {
  constructor(private readonly db: HubDb) {}

  migrate(): Promise<void> {
    return this.db.exec(PEOPLE_SQLITE_SCHEMA);
  }

  private async lookup<R>(sql: (marks: string) => string, keys: readonly string[]): Promise<R[]> {
    const out: R[] = [];
    for (const part of chunks(keys)) out.push(...(await this.db.all<R>(sql(part.map(() => '?').join(',')), part)));
    return out;
  }

  async idsByIin(iins: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.lookup<{ iin: string; person_id: string }>((m) => `SELECT iin, person_id FROM console_people WHERE iin IN (${m})`, iins);
    return new Map(rows.map((r) => [r.iin, r.person_id]));
  }

  async guardianIdsByPhone(phones: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.lookup<{ phone: string; id: string }>((m) => `SELECT phone, id FROM console_guardians WHERE phone IN (${m})`, phones);
    return new Map(rows.map((r) => [r.phone, r.id]));
  }

  async save(details: readonly PersonDetails[], guardians: readonly GuardianRecord[], links: readonly GuardianLink[], replaceLinks: boolean, nowMs: number): Promise<void> {
    await this.db.transaction(async () => {
      for (const d of details) {
        await this.db.run(
          `INSERT INTO console_people (person_id, iin, surname, given_name, patronymic, birth_date, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (person_id) DO UPDATE SET iin = excluded.iin, surname = excluded.surname, given_name = excluded.given_name,
             patronymic = excluded.patronymic, birth_date = excluded.birth_date, updated_ms = excluded.updated_ms`,
          [d.personId, d.iin, d.surname, d.givenName, d.patronymic, d.birthDate, nowMs],
        );
        if (replaceLinks) await this.db.run('DELETE FROM console_guardian_links WHERE child_id = ?', [d.personId]);
      }
      for (const g of guardians) {
        await this.db.run('INSERT INTO console_guardians (id, phone, name, updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_ms = excluded.updated_ms', [g.id, g.phone, g.name, nowMs]);
      }
      for (const l of links) await this.db.run('INSERT INTO console_guardian_links (child_id, guardian_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [l.childId, l.guardianId]);
    });
  }

  async details(personIds: readonly string[]): Promise<Map<string, PersonDetails>> {
    const rows = await this.lookup<DetailsRow>((m) => `SELECT * FROM console_people WHERE person_id IN (${m})`, personIds);
    return new Map(rows.map((r) => [r.person_id, rowToDetails(r)]));
  }

  async guardiansOf(childIds: readonly string[]): Promise<Map<string, GuardianRecord[]>> {
    const rows = await this.lookup<{ child_id: string; id: string; name: string; phone: string }>(
      (m) => `SELECT l.child_id, g.id, g.name, g.phone FROM console_guardian_links l JOIN console_guardians g ON g.id = l.guardian_id WHERE l.child_id IN (${m}) ORDER BY g.name`,
      childIds,
    );
    return groupGuardians(rows);
  }

  async erase(personId: string): Promise<string[]> {
    return this.db.transaction(async () => {
      const linked = await this.db.all<{ guardian_id: string }>('SELECT guardian_id FROM console_guardian_links WHERE child_id = ?', [personId]);
      await this.db.run('DELETE FROM console_people WHERE person_id = ?', [personId]);
      await this.db.run('DELETE FROM console_guardian_links WHERE child_id = ? OR guardian_id = ?', [personId, personId]);
      await this.db.run('DELETE FROM console_guardians WHERE id = ?', [personId]);
      const orphans: string[] = [];
      for (const { guardian_id: id } of linked) {
        if (await this.db.get('SELECT 1 FROM console_guardian_links WHERE guardian_id = ?', [id])) continue;
        await this.db.run('DELETE FROM console_guardians WHERE id = ?', [id]);
        orphans.push(id);
      }
      return orphans;
    });
  }
}
