// A school's class list as CSV, checked row by row before anything is written: ИИН (check digit and
// birth date, iin.ts), surname, name, patronymic, class, and up to three guardians with their
// phones. Headers are matched in Kazakh, Russian or English, so the file a secretary already keeps
// can be uploaded as it is. Every bad row is reported by its file line with every problem it has;
// the caller decides whether a file with errors imports nothing or only its good rows. Pure.
import { parseCsv } from './csv.js';
import { parseIin } from './iin.js';

export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 5000;
export const MAX_GUARDIANS = 3;
const MAX_NAME = 80;

export type RowProblem =
  | 'iin_format' | 'iin_century' | 'iin_date' | 'iin_checksum' | 'iin_duplicate'
  | 'surname_missing' | 'name_missing' | 'name_too_long' | 'class_invalid'
  | 'guardian_phone_invalid' | 'guardian_incomplete' | 'columns';

export type FileProblem = 'csv_quote' | 'encoding' | 'empty' | 'too_large' | 'too_many_rows' | `missing_column:${Column}`;

export type Column = 'iin' | 'surname' | 'name' | 'patronymic' | 'class';

export interface GuardianInput {
  name: string;
  /** +7XXXXXXXXXX */
  phone: string;
}

export interface PupilRow {
  line: number;
  iin: string;
  birthDate: string;
  surname: string;
  name: string;
  patronymic: string | null;
  group: string;
  guardians: GuardianInput[];
}

export interface RowError {
  line: number;
  problems: RowProblem[];
}

export type ClassListResult =
  | { ok: true; rows: PupilRow[]; errors: RowError[] }
  | { ok: false; fileProblem: FileProblem; line: number };

const HEADERS: Record<Column, readonly string[]> = {
  iin: ['иин', 'жсн', 'iin'],
  surname: ['фамилия', 'тегі', 'surname', 'lastname'],
  name: ['имя', 'аты', 'name', 'firstname', 'givenname'],
  patronymic: ['отчество', 'әкесініңаты', 'patronymic', 'middlename'],
  class: ['класс', 'сынып', 'class', 'group'],
};
const GUARDIAN = /^(?:guardian|представитель|өкіл)([1-9])(phone|телефон|телефоны)?$/;

function normaliseHeader(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s_.\-()]/g, '');
}

interface Layout {
  columns: Record<Column, number | undefined>;
  guardians: Array<{ name: number | undefined; phone: number | undefined }>;
  width: number;
}

function layoutOf(header: readonly string[]): Layout {
  const columns: Record<Column, number | undefined> = { iin: undefined, surname: undefined, name: undefined, patronymic: undefined, class: undefined };
  const guardians: Layout['guardians'] = [];
  header.forEach((cell, index) => {
    const key = normaliseHeader(cell);
    for (const [column, names] of Object.entries(HEADERS) as Array<[Column, readonly string[]]>) {
      if (names.includes(key) && columns[column] === undefined) columns[column] = index;
    }
    const guardian = GUARDIAN.exec(key);
    const slot = guardian ? Number(guardian[1]) - 1 : -1;
    if (guardian && slot < MAX_GUARDIANS) {
      const entry = (guardians[slot] ??= { name: undefined, phone: undefined });
      if (guardian[2]) entry.phone = index;
      else entry.name = index;
    }
  });
  return { columns, guardians: guardians.filter(Boolean), width: header.length };
}

/** +7 and ten digits, from the ways a Kazakh number is written (8 707 ..., +7 (707) ..., 7707...). */
export function normalisePhone(input: string): string | null {
  const digits = input.replace(/[\s()\-.]/g, '');
  const match = /^(?:\+7|8|7)?(\d{10})$/.exec(digits);
  if (!match?.[1] || !/^[67]/.test(match[1])) return null;
  return `+7${match[1]}`;
}

/** "5 а" -> "5А": a grade 0..12 and at most one letter of the parallel, in upper case. */
export function normaliseClass(input: string): string | null {
  const value = input.replace(/\s+/g, '').toLocaleUpperCase('kk');
  return /^(?:[0-9]|1[0-2])\p{Lu}?$/u.test(value) ? value : null;
}

function checkName(value: string, missing: RowProblem, problems: RowProblem[]): string {
  const text = value.trim().replace(/\s+/g, ' ');
  if (text === '') problems.push(missing);
  else if (text.length > MAX_NAME) problems.push('name_too_long');
  return text;
}

function guardiansOf(fields: readonly string[], layout: Layout, problems: RowProblem[]): GuardianInput[] {
  const out: GuardianInput[] = [];
  for (const slot of layout.guardians) {
    const name = (slot.name === undefined ? '' : (fields[slot.name] ?? '')).trim().replace(/\s+/g, ' ');
    const rawPhone = (slot.phone === undefined ? '' : (fields[slot.phone] ?? '')).trim();
    if (name === '' && rawPhone === '') continue;
    if (name === '' || rawPhone === '') {
      problems.push('guardian_incomplete');
      continue;
    }
    const phone = normalisePhone(rawPhone);
    if (phone === null) problems.push('guardian_phone_invalid');
    else if (name.length > MAX_NAME) problems.push('name_too_long');
    else out.push({ name, phone });
  }
  return out;
}

function checkRow(line: number, fields: readonly string[], layout: Layout, seen: Map<string, number>): PupilRow | RowError {
  const problems: RowProblem[] = [];
  const cell = (column: Column): string => {
    const index = layout.columns[column];
    return index === undefined ? '' : (fields[index] ?? '');
  };
  if (fields.length > layout.width) problems.push('columns');
  const iin = parseIin(cell('iin'));
  if (!iin.ok) problems.push(iin.problem);
  else if (seen.has(iin.iin)) problems.push('iin_duplicate');
  const surname = checkName(cell('surname'), 'surname_missing', problems);
  const name = checkName(cell('name'), 'name_missing', problems);
  const patronymic = checkName(cell('patronymic'), 'name_missing', []);
  const group = normaliseClass(cell('class'));
  if (group === null) problems.push('class_invalid');
  const guardians = guardiansOf(fields, layout, problems);
  if (problems.length > 0 || !iin.ok || group === null) return { line, problems: [...new Set(problems)] };
  seen.set(iin.iin, line);
  return { line, iin: iin.iin, birthDate: iin.birthDate, surname, name, patronymic: patronymic || null, group, guardians };
}

export function parseClassList(text: string): ClassListResult {
  if (Buffer.byteLength(text) > MAX_IMPORT_BYTES) return { ok: false, fileProblem: 'too_large', line: 0 };
  const csv = parseCsv(text);
  if (!csv.ok) return { ok: false, fileProblem: csv.problem, line: csv.line };
  const [header, ...body] = csv.records;
  if (!header) return { ok: false, fileProblem: 'empty', line: 1 };
  if (body.length > MAX_IMPORT_ROWS) return { ok: false, fileProblem: 'too_many_rows', line: header.line };
  const layout = layoutOf(header.fields);
  const missing = (['iin', 'surname', 'name', 'class'] as const).find((c) => layout.columns[c] === undefined);
  if (missing) return { ok: false, fileProblem: `missing_column:${missing}`, line: header.line };
  const rows: PupilRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const record of body) {
    const result = checkRow(record.line, record.fields, layout, seen);
    if ('problems' in result) errors.push(result);
    else rows.push(result);
  }
  return { ok: true, rows, errors };
}

/** The uploaded bytes: UTF-8 only (a spreadsheet's "CSV UTF-8"); a Windows-1251 file is refused, not garbled into names. */
export function parseClassListBytes(bytes: Uint8Array): ClassListResult {
  if (bytes.byteLength > MAX_IMPORT_BYTES) return { ok: false, fileProblem: 'too_large', line: 0 };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, fileProblem: 'encoding', line: 0 };
  }
  return parseClassList(text);
}
