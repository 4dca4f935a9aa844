// The library's storage algorithm over either database: the catalogue's writes in one
// transaction, batched (a 5,000-row import is 10 statements per table, not 5,000), and the loan
// fold with its cursor moved compare-and-set in the same transaction, so two hub processes folding
// the same page write it once (the loser's transaction changes nothing and it reads on).
import { foldEvents } from './loan-fold.js';
import { LOAN_COLUMNS, type LibraryDriver, type LibraryParam, type LibrarySql, type LoanRow } from './sql.js';
import type { HubEvent } from '../storage.js';
import type { CatalogueRow, CopyRecord, CopyStatus, LibraryStore, LoanFlag, LoanFlagKind, LoanRecord, TitleRecord } from './types.js';

const CHUNK = 500;

interface TitleRow {
  id: string;
  isbn13: string | null;
  title: string;
  author: string | null;
  year: number | null;
}

interface CopyRow {
  barcode: string;
  title_id: string;
  reading_room_only: number;
  status: string;
}

interface FlagRow {
  id: number;
  kind: string;
  copy_id: string;
  event_id: string;
  other_event_id: string;
  detail: string;
  created_ms: number;
  resolved_ms: number | null;
  resolved_by: string | null;
}

function toLoan(row: LoanRow): LoanRecord {
  return {
    eventId: row.event_id, copyId: row.copy_id, borrowerId: row.borrower_id, deviceId: row.device_id, loanedMs: Number(row.loaned_ms),
    dueDate: row.due_date, renewals: Number(row.renewals), returnedMs: row.returned_ms === null ? null : Number(row.returned_ms), conflict: Number(row.conflict) === 1,
  };
}

/** A stored flag's detail; a row that does not parse is shown empty rather than stopping the list. */
function detailOf(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function placeholders(rows: number, columns: number): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r += 1) groups.push(`(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(', ')})`);
  return groups.join(', ');
}

async function insertChunked(sql: LibrarySql, head: string, tail: string, values: readonly LibraryParam[][]): Promise<void> {
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    const columns = chunk[0]?.length ?? 0;
    await sql.query(`${head} VALUES ${placeholders(chunk.length, columns)} ${tail}`, chunk.flat());
  }
}

export class SqlLibrary implements LibraryStore {
  constructor(private readonly driver: LibraryDriver) {}

  close(): Promise<void> {
    return this.driver.close();
  }

  saveRows(rows: readonly CatalogueRow[], nowMs: number): Promise<{ titles: number; copies: number }> {
    // One row per title in a statement: an upsert may not touch the same row twice in one statement.
    const titles = new Map<string, TitleRecord>();
    for (const row of rows) titles.set(row.title.id, row.title);
    return this.driver.write(async (sql) => {
      await insertChunked(
        sql,
        'INSERT INTO library_titles (id, isbn13, title, author, year, updated_ms)',
        'ON CONFLICT (id) DO UPDATE SET isbn13 = excluded.isbn13, title = excluded.title, author = excluded.author, year = excluded.year, updated_ms = excluded.updated_ms',
        [...titles.values()].map((t) => [t.id, t.isbn13, t.title, t.author, t.year, nowMs]),
      );
      // A re-import updates a copy's title and shelf, never its status: a lost copy stays lost.
      await insertChunked(
        sql,
        'INSERT INTO library_copies (barcode, title_id, reading_room_only, status, updated_ms)',
        'ON CONFLICT (barcode) DO UPDATE SET title_id = excluded.title_id, reading_room_only = excluded.reading_room_only, updated_ms = excluded.updated_ms',
        rows.map((r) => [r.copy.barcode, r.copy.titleId, r.copy.readingRoomOnly ? 1 : 0, r.copy.status, nowMs]),
      );
      return { titles: titles.size, copies: rows.length };
    });
  }

  async title(id: string): Promise<TitleRecord | null> {
    const rows = await this.driver.read((sql) => sql.query<TitleRow>('SELECT id, isbn13, title, author, year FROM library_titles WHERE id = $1', [id]));
    const row = rows[0];
    return row ? { ...row, year: row.year === null ? null : Number(row.year) } : null;
  }

  async copy(barcode: string): Promise<CopyRecord | null> {
    const rows = await this.driver.read((sql) => sql.query<CopyRow>('SELECT barcode, title_id, reading_room_only, status FROM library_copies WHERE barcode = $1', [barcode]));
    const row = rows[0];
    return row ? { barcode: row.barcode, titleId: row.title_id, readingRoomOnly: Number(row.reading_room_only) === 1, status: row.status as CopyStatus } : null;
  }

  async allCopies(): Promise<CopyRecord[]> {
    const rows = await this.driver.read((sql) => sql.query<CopyRow>('SELECT barcode, title_id, reading_room_only, status FROM library_copies ORDER BY barcode'));
    return rows.map((row) => ({ barcode: row.barcode, titleId: row.title_id, readingRoomOnly: Number(row.reading_room_only) === 1, status: row.status as CopyStatus }));
  }

  counts(): Promise<{ titles: number; copies: number }> {
    return this.driver.read(async (sql) => {
      const rows = await sql.query<{ titles: number; copies: number }>('SELECT (SELECT count(*) FROM library_titles) AS titles, (SELECT count(*) FROM library_copies) AS copies');
      return { titles: Number(rows[0]?.titles ?? 0), copies: Number(rows[0]?.copies ?? 0) };
    });
  }

  async cursor(): Promise<number> {
    const rows = await this.driver.read((sql) => sql.query<{ hub_seq: number }>("SELECT hub_seq FROM library_cursor WHERE name = 'loans'"));
    return Number(rows[0]?.hub_seq ?? 0);
  }

  foldPage(from: number, to: number, events: readonly HubEvent[], nowMs: number): Promise<boolean> {
    return this.driver.write(async (sql) => {
      const moved = await sql.query<{ hub_seq: number }>("UPDATE library_cursor SET hub_seq = $2 WHERE name = 'loans' AND hub_seq = $1 RETURNING hub_seq", [from, to]);
      if (moved.length === 0) return false;
      await foldEvents(sql, events, nowMs);
      return true;
    });
  }

  async loansOfCopy(copyId: string): Promise<LoanRecord[]> {
    const rows = await this.driver.read((sql) => sql.query<LoanRow>(`SELECT ${LOAN_COLUMNS} FROM library_loans WHERE copy_id = $1 ORDER BY loaned_ms, event_id`, [copyId]));
    return rows.map(toLoan);
  }

  async openLoans(borrowerId: string | null): Promise<LoanRecord[]> {
    const rows = await this.driver.read((sql) =>
      borrowerId === null
        ? sql.query<LoanRow>(`SELECT ${LOAN_COLUMNS} FROM library_loans WHERE returned_ms IS NULL ORDER BY loaned_ms, event_id`)
        : sql.query<LoanRow>(`SELECT ${LOAN_COLUMNS} FROM library_loans WHERE returned_ms IS NULL AND borrower_id = $1 ORDER BY loaned_ms, event_id`, [borrowerId]),
    );
    return rows.map(toLoan);
  }

  async loanCounts(sinceMs: number): Promise<Array<{ borrowerId: string | null; loans: number }>> {
    const rows = await this.driver.read((sql) =>
      sql.query<{ borrower_id: string | null; loans: number }>('SELECT borrower_id, count(*) AS loans FROM library_loans WHERE loaned_ms >= $1 GROUP BY borrower_id ORDER BY borrower_id', [sinceMs]),
    );
    return rows.map((row) => ({ borrowerId: row.borrower_id, loans: Number(row.loans) }));
  }

  async mostRead(sinceMs: number, limit: number): Promise<Array<{ titleId: string; title: string; loans: number }>> {
    const rows = await this.driver.read((sql) =>
      sql.query<{ id: string; title: string; loans: number }>(
        `SELECT t.id, t.title, count(*) AS loans FROM library_loans l
         JOIN library_copies c ON c.barcode = l.copy_id JOIN library_titles t ON t.id = c.title_id
         WHERE l.loaned_ms >= $1 GROUP BY t.id, t.title ORDER BY count(*) DESC, t.id LIMIT $2`,
        [sinceMs, limit],
      ),
    );
    return rows.map((row) => ({ titleId: row.id, title: row.title, loans: Number(row.loans) }));
  }

  async flags(afterId: number, limit: number): Promise<LoanFlag[]> {
    const rows = await this.driver.read((sql) =>
      sql.query<FlagRow>(
        `SELECT f.id, f.kind, f.copy_id, f.event_id, f.other_event_id, f.detail, f.created_ms, r.resolved_ms, r.resolved_by
         FROM library_flags f LEFT JOIN library_flag_resolutions r ON r.flag_id = f.id WHERE f.id > $1 ORDER BY f.id LIMIT $2`,
        [afterId, limit],
      ),
    );
    return rows.map((row) => ({
      id: Number(row.id), kind: row.kind as LoanFlagKind, copyId: row.copy_id, eventId: row.event_id, otherEventId: row.other_event_id,
      detail: detailOf(row.detail), createdMs: Number(row.created_ms),
      resolvedMs: row.resolved_ms === null ? null : Number(row.resolved_ms), resolvedBy: row.resolved_by,
    }));
  }

  resolveFlag(id: number, by: string, nowMs: number): Promise<'resolved' | 'already' | 'missing'> {
    return this.driver.write(async (sql) => {
      const added = await sql.query<{ flag_id: number }>(
        `INSERT INTO library_flag_resolutions (flag_id, resolved_ms, resolved_by) SELECT id, $2, $3 FROM library_flags WHERE id = $1
         ON CONFLICT (flag_id) DO NOTHING RETURNING flag_id`,
        [id, nowMs, by],
      );
      if (added.length > 0) return 'resolved';
      const known = await sql.query<{ id: number }>('SELECT id FROM library_flags WHERE id = $1', [id]);
      return known.length > 0 ? 'already' : 'missing';
    });
  }
}
