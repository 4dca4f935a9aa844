// PeopleStore on PostgreSQL (the tables are a migration in hub/pg-schema.ts). Lookups take the keys
// as one array parameter (= ANY), so an import of thousands is one round trip per question.
import type { PgDb } from '../pg-db.js';
import { groupGuardians, rowToDetails, type GuardianLink, type GuardianRecord, type PeopleStore, type PersonDetails } from './people-store.js';

export class PgPeopleStore implements PeopleStore {
  constructor(private readonly db: PgDb) {}

  async migrate(): Promise<void> {
    // hub/pg-schema.ts MIGRATIONS holds these tables; the hub applied them at open.
  }

  async idsByIin(iins: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ iin: string; person_id: string }>('SELECT iin, person_id FROM console_people WHERE iin = ANY($1)', [iins]);
    return new Map(rows.map((r) => [r.iin, r.person_id]));
  }

  async guardianIdsByPhone(phones: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ phone: string; id: string }>('SELECT phone, id FROM console_guardians WHERE phone = ANY($1)', [phones]);
    return new Map(rows.map((r) => [r.phone, r.id]));
  }

  async save(details: readonly PersonDetails[], guardians: readonly GuardianRecord[], links: readonly GuardianLink[], replaceLinks: boolean, nowMs: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (details.length > 0) {
        await tx.query(
          `INSERT INTO console_people (person_id, iin, surname, given_name, patronymic, birth_date, updated_ms)
           SELECT *, $7::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
           ON CONFLICT (person_id) DO UPDATE SET iin = excluded.iin, surname = excluded.surname, given_name = excluded.given_name,
             patronymic = excluded.patronymic, birth_date = excluded.birth_date, updated_ms = excluded.updated_ms`,
          [details.map((d) => d.personId), details.map((d) => d.iin), details.map((d) => d.surname), details.map((d) => d.givenName), details.map((d) => d.patronymic), details.map((d) => d.birthDate), nowMs],
        );
        if (replaceLinks) await tx.query('DELETE FROM console_guardian_links WHERE child_id = ANY($1)', [details.map((d) => d.personId)]);
      }
      if (guardians.length > 0) {
        await tx.query(
          `INSERT INTO console_guardians (id, phone, name, updated_ms) SELECT *, $4::bigint FROM unnest($1::text[], $2::text[], $3::text[])
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_ms = excluded.updated_ms`,
          [guardians.map((g) => g.id), guardians.map((g) => g.phone), guardians.map((g) => g.name), nowMs],
        );
      }
      if (links.length > 0) {
        await tx.query('INSERT INTO console_guardian_links (child_id, guardian_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [links.map((l) => l.childId), links.map((l) => l.guardianId)]);
      }
    });
  }

  async details(personIds: readonly string[]): Promise<Map<string, PersonDetails>> {
    const rows = await this.db.query<{ person_id: string; iin: string; surname: string; given_name: string; patronymic: string | null; birth_date: string }>('SELECT * FROM console_people WHERE person_id = ANY($1)', [personIds]);
    return new Map(rows.map((r) => [r.person_id, rowToDetails(r)]));
  }

  async guardiansOf(childIds: readonly string[]): Promise<Map<string, GuardianRecord[]>> {
    const rows = await this.db.query<{ child_id: string; id: string; name: string; phone: string }>(
      'SELECT l.child_id, g.id, g.name, g.phone FROM console_guardian_links l JOIN console_guardians g ON g.id = l.guardian_id WHERE l.child_id = ANY($1) ORDER BY g.name',
      [childIds],
    );
    return groupGuardians(rows);
  }

  async erase(personId: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const linked = await tx.query<{ guardian_id: string }>('DELETE FROM console_guardian_links WHERE child_id = $1 OR guardian_id = $1 RETURNING guardian_id', [personId]);
      await tx.query('DELETE FROM console_people WHERE person_id = $1', [personId]);
      await tx.query('DELETE FROM console_guardians WHERE id = $1', [personId]);
      const candidates = [...new Set(linked.map((r) => r.guardian_id))].filter((id) => id !== personId);
      const orphans = await tx.query<{ id: string }>(
        'DELETE FROM console_guardians g WHERE g.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM console_guardian_links l WHERE l.guardian_id = g.id) RETURNING g.id',
        [candidates],
      );
      return orphans.map((r) => r.id);
    });
  }
}
