// The catalogue CSV: one row per copy, header `barcode,isbn,title,author,year,reading_room`
// (columns in any order; isbn, author, year and reading_room may be empty or absent). RFC 4180
// quoting, so a title may hold commas, quotes and line breaks; every bad row is reported by the
// line it starts on, all of them at once, so a librarian fixes the file in one pass.
import { createHash } from 'node:crypto';
import { isbn10To13, parseBarcode } from '../../lib/index.js';
import type { CatalogueRow, RowError, TitleRecord } from './types.js';

const REQUIRED = ['barcode', 'title'] as const;
const KNOWN = new Set(['barcode', 'isbn', 'title', 'author', 'year', 'reading_room']);
const MAX_TEXT = 512;
const TRUE_WORDS = new Set(['1', 'yes', 'true', 'y', 'да', 'иә']);
const FALSE_WORDS = new Set(['', '0', 'no', 'false', 'n', 'нет', 'жоқ']);

interface CsvRecord {
  line: number;
  fields: string[];
}

/** Splits CSV text into records with the line each starts on; an unclosed quote is an error at its line. */
export function splitCsv(text: string): { records: CsvRecord[]; error: RowError | null } {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line += 1;
        field += ch;
      }
    } else if (ch === '"' && field.length === 0) quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields });
      fields = [];
      field = '';
      line += 1;
      start = line;
    } else field += ch;
  }
  if (quoted) return { records, error: { line: start, message: 'a quoted field is never closed' } };
  fields.push(field);
  if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields });
  return { records, error: null };
}

function titleId(isbn13: string | null, title: string, author: string | null, year: number | null): string {
  if (isbn13 !== null) return `isbn:${isbn13}`;
  const digest = createHash('sha256').update(JSON.stringify([title.toLowerCase(), author?.toLowerCase() ?? null, year])).digest('hex');
  return `local:${digest.slice(0, 20)}`;
}

function isbnOf(raw: string): { isbn13: string | null } | string {
  if (raw.trim() === '') return { isbn13: null };
  const parsed = parseBarcode(raw);
  if (!parsed.ok) return `isbn "${raw}": ${parsed.detail}`;
  if (parsed.barcode.kind === 'isbn10') return { isbn13: isbn10To13(parsed.barcode.value) };
  if (parsed.barcode.kind === 'copy') return `isbn "${raw}" is not an ISBN-10, ISBN-13 or EAN-13`;
  return { isbn13: parsed.barcode.value };
}

function copyBarcodeProblem(raw: string): string | null {
  const parsed = parseBarcode(raw);
  if (!parsed.ok) return `barcode "${raw}": ${parsed.detail}`;
  // A copy needs its own label: the ISBN is the same on every copy of the title.
  if (parsed.barcode.kind === 'isbn13' || parsed.barcode.kind === 'isbn10') return `barcode "${raw}" is an ISBN: each copy needs its own label`;
  // The desk looks a scan up by what the scanner decodes; a label stored otherwise would never be found.
  return parsed.barcode.value === raw.trim() ? null : `barcode "${raw}" scans as "${parsed.barcode.value}": write it so`;
}

function parseRow(get: (column: string) => string, line: number): CatalogueRow | string[] {
  const problems: string[] = [];
  const barcode = get('barcode').trim();
  const title = get('title').trim();
  const author = get('author').trim() || null;
  const yearText = get('year').trim();
  const roomText = get('reading_room').trim().toLowerCase();
  const barcodeProblem = barcode === '' ? 'barcode is empty' : copyBarcodeProblem(barcode);
  if (barcodeProblem) problems.push(barcodeProblem);
  if (title === '') problems.push('title is empty');
  if (title.length > MAX_TEXT || (author?.length ?? 0) > MAX_TEXT) problems.push(`title or author longer than ${MAX_TEXT} characters`);
  const year = yearText === '' ? null : Number(yearText);
  if (year !== null && (!Number.isInteger(year) || year < 1400 || year > 2100)) problems.push(`year "${yearText}" is not a year`);
  if (!TRUE_WORDS.has(roomText) && !FALSE_WORDS.has(roomText)) problems.push(`reading_room "${roomText}" is not yes or no`);
  const isbn = isbnOf(get('isbn'));
  if (typeof isbn === 'string') problems.push(isbn);
  if (problems.length > 0 || typeof isbn === 'string') return problems;
  const record: TitleRecord = { id: titleId(isbn.isbn13, title, author, year), isbn13: isbn.isbn13, title, author, year };
  return { line, title: record, copy: { barcode, titleId: record.id, readingRoomOnly: TRUE_WORDS.has(roomText), status: 'available' } };
}

function headerProblem(header: readonly string[]): string | null {
  for (const column of REQUIRED) if (!header.includes(column)) return `the header has no "${column}" column`;
  const unknown = header.filter((column) => !KNOWN.has(column));
  if (unknown.length > 0) return `unknown columns: ${unknown.join(', ')}`;
  if (new Set(header).size !== header.length) return 'a column is named twice';
  return null;
}

/** Every valid row and every bad row's line and reasons; a copy barcode twice in the file is bad on its second line. */
export function parseCatalogueCsv(text: string): { rows: CatalogueRow[]; errors: RowError[] } {
  const { records, error } = splitCsv(text);
  const errors: RowError[] = error ? [error] : [];
  const [head, ...body] = records;
  if (!head) return { rows: [], errors: [...errors, { line: 1, message: 'the file is empty' }] };
  const header = head.fields.map((name) => name.trim().toLowerCase());
  const problem = headerProblem(header);
  if (problem) return { rows: [], errors: [{ line: head.line, message: problem }] };
  const rows: CatalogueRow[] = [];
  const seen = new Map<string, number>();
  for (const record of body) {
    if (record.fields.length !== header.length) {
      errors.push({ line: record.line, message: `${record.fields.length} fields, the header has ${header.length}` });
      continue;
    }
    const parsed = parseRow((column) => record.fields[header.indexOf(column)] ?? '', record.line);
    if (Array.isArray(parsed)) {
      errors.push({ line: record.line, message: parsed.join('; ') });
      continue;
    }
    const earlier = seen.get(parsed.copy.barcode);
    if (earlier !== undefined) {
      errors.push({ line: record.line, message: `barcode ${parsed.copy.barcode} is already on line ${earlier}` });
      continue;
    }
    seen.set(parsed.copy.barcode, record.line);
    rows.push(parsed);
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors };
}
