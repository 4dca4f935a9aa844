// The free-meal register as CSV, the way the school gets it from the akimat's list: one row per
// child and category, header `person_id` or `iin` (the ИИН, looked up in the console's people),
// `category`, `valid_from`, `valid_to` (dates, empty = open), `periods` (meal kinds separated by
// ";" or spaces, "*" or empty = all). The library's RFC 4180 splitter (quoted fields, lines counted
// inside quotes); every bad row is reported by the line it starts on, all at once, so the file is
// fixed in one pass. Parsing is pure; resolving ИИНs and person ids is the caller's (routes).
import { MEAL_PERIOD_KINDS, wireId } from '../../protocol/index.js';
import { parseIin } from '../console/index.js';
import { splitCsv, type RowError } from '../library/index.js';

export interface RegisterCsvRow {
  line: number;
  /** Exactly one of personId and iin is set. */
  personId: string | null;
  iin: string | null;
  category: string;
  validFrom: string | null;
  validTo: string | null;
  periods: Array<(typeof MEAL_PERIOD_KINDS)[number] | '*'>;
}

const KNOWN = new Set(['person_id', 'iin', 'category', 'valid_from', 'valid_to', 'periods']);
const CATEGORY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const PERIOD_WORDS = new Set<string>([...MEAL_PERIOD_KINDS, '*']);
export const MAX_REGISTER_ROWS = 20_000;

function headerProblem(header: readonly string[]): string | null {
  const unknown = header.filter((column) => !KNOWN.has(column));
  if (unknown.length > 0) return `unknown columns: ${unknown.join(', ')}`;
  if (new Set(header).size !== header.length) return 'a column is named twice';
  if (!header.includes('person_id') && !header.includes('iin')) return 'the header needs a "person_id" or an "iin" column';
  if (!header.includes('category')) return 'the header has no "category" column';
  return null;
}

function dateOf(raw: string, column: string, problems: string[]): string | null {
  const text = raw.trim();
  if (text === '') return null;
  if (!DATE.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) problems.push(`${column} "${text}" is not a date like 2026-09-01`);
  return text;
}

function periodsOf(raw: string, problems: string[]): RegisterCsvRow['periods'] {
  const words = raw.split(/[;\s|]+/).map((word) => word.trim().toLowerCase()).filter((word) => word !== '');
  if (words.length === 0) return ['*'];
  const bad = words.filter((word) => !PERIOD_WORDS.has(word));
  if (bad.length > 0) problems.push(`periods "${bad.join(', ')}": use ${[...MEAL_PERIOD_KINDS, '*'].join(', ')}`);
  return [...new Set(words.filter((word) => PERIOD_WORDS.has(word)))] as RegisterCsvRow['periods'];
}

function whoOf(get: (column: string) => string, problems: string[]): { personId: string | null; iin: string | null } {
  const personText = get('person_id').trim();
  const iinText = get('iin').trim();
  if (personText !== '' && iinText !== '') problems.push('give person_id or iin, not both');
  if (personText !== '') {
    if (!wireId.safeParse(personText).success) problems.push(`person_id "${personText}" is not an id`);
    return { personId: personText, iin: null };
  }
  if (iinText === '') {
    problems.push('person_id and iin are both empty');
    return { personId: null, iin: null };
  }
  const iin = parseIin(iinText);
  if (!iin.ok) problems.push(`iin "${iinText}": ${iin.problem}`);
  return { personId: null, iin: iin.ok ? iin.iin : iinText };
}

function parseRow(get: (column: string) => string, line: number): RegisterCsvRow | string[] {
  const problems: string[] = [];
  const who = whoOf(get, problems);
  const category = get('category').trim();
  if (!CATEGORY.test(category)) problems.push(category === '' ? 'category is empty' : `category "${category}": letters, digits, "_", "." and "-", at most 64`);
  const validFrom = dateOf(get('valid_from'), 'valid_from', problems);
  const validTo = dateOf(get('valid_to'), 'valid_to', problems);
  if (validFrom !== null && validTo !== null && problems.length === 0 && validFrom > validTo) problems.push(`valid_from ${validFrom} is after valid_to ${validTo}`);
  const periods = periodsOf(get('periods'), problems);
  return problems.length > 0 ? problems : { line, ...who, category, validFrom, validTo, periods };
}

/** Every valid row and every bad row's line and reasons; the same person and category twice is bad on its second line. */
export function parseRegisterCsv(text: string): { rows: RegisterCsvRow[]; errors: RowError[] } {
  const { records, error } = splitCsv(text);
  const errors: RowError[] = error ? [error] : [];
  const [head, ...body] = records;
  if (!head) return { rows: [], errors: [...errors, { line: 1, message: 'the file is empty' }] };
  const header = head.fields.map((name) => name.trim().toLowerCase());
  const problem = headerProblem(header);
  if (problem) return { rows: [], errors: [{ line: head.line, message: problem }] };
  if (body.length > MAX_REGISTER_ROWS) return { rows: [], errors: [{ line: head.line, message: `more than ${MAX_REGISTER_ROWS} rows` }] };
  const rows: RegisterCsvRow[] = [];
  const seen = new Map<string, number>();
  for (const record of body) {
    if (record.fields.length !== header.length) {
      errors.push({ line: record.line, message: `${record.fields.length} fields, the header has ${header.length}` });
      continue;
    }
    const parsed = parseRow((column) => (header.includes(column) ? (record.fields[header.indexOf(column)] ?? '') : ''), record.line);
    if (Array.isArray(parsed)) {
      errors.push({ line: record.line, message: parsed.join('; ') });
      continue;
    }
    const key = `${parsed.personId ?? `iin:${parsed.iin ?? ''}`}|${parsed.category}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      errors.push({ line: record.line, message: `${parsed.personId ?? parsed.iin ?? ''} in category ${parsed.category} is already on line ${earlier}` });
      continue;
    }
    seen.set(key, record.line);
    rows.push(parsed);
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors };
}
