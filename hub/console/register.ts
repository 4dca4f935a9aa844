// A class's monthly register (табель): one row per pupil, one column per day of the month, each
// cell present, late or absent from the hub's own events (the first granted entry of the school's
// local day, against the bell, as on today's page). Saturdays and Sundays, and days still to come,
// are left blank unless the pupil came in. CSV and XLSX (exceljs) from the same grid. Pure but for
// exceljs's writer.
import ExcelJS from 'exceljs';
import type { Mark, SchoolDay } from './attendance.js';
import { csvCell } from './csv.js';

const DAY_MS = 86_400_000;

export interface RegisterRow {
  id: string;
  name: string;
  marks: Array<Mark | null>;
  present: number;
  late: number;
  absent: number;
}

export interface Register {
  group: string;
  month: string;
  days: number;
  rows: RegisterRow[];
}

export interface MonthBounds {
  /** UTC ms of local midnight on the 1st, and of the next month's 1st. */
  fromMs: number;
  toMs: number;
  days: number;
}

/** 'YYYY-MM' on the school's clock; null for anything else. */
export function monthBounds(month: string, day: SchoolDay): MonthBounds | null {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) return null;
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  if (year < 2000 || year > 2099) return null;
  const offset = day.utcOffsetMinutes * 60_000;
  const fromMs = Date.UTC(year, index, 1) - offset;
  const toMs = Date.UTC(year, index + 1, 1) - offset;
  return { fromMs, toMs, days: Math.round((toMs - fromMs) / DAY_MS) };
}

export interface RegisterInput {
  group: string;
  month: string;
  bounds: MonthBounds;
  pupils: ReadonlyArray<{ id: string; name: string }>;
  /** First granted entry per person per local day, as (person, UTC ms) pairs. */
  arrivals: ReadonlyArray<{ personId: string; firstMs: number }>;
  day: SchoolDay;
  nowMs: number;
}

export function buildRegister(input: RegisterInput): Register {
  const { bounds, day } = input;
  const offset = day.utcOffsetMinutes * 60_000;
  const first = new Map<string, number>();
  for (const a of input.arrivals) {
    if (a.firstMs < bounds.fromMs || a.firstMs >= bounds.toMs) continue;
    const key = `${a.personId}|${Math.floor((a.firstMs - bounds.fromMs) / DAY_MS)}`;
    const known = first.get(key);
    if (known === undefined || a.firstMs < known) first.set(key, a.firstMs);
  }
  const rows = input.pupils.map((p) => {
    const marks: Array<Mark | null> = [];
    for (let d = 0; d < bounds.days; d++) {
      const startMs = bounds.fromMs + d * DAY_MS;
      const arrived = first.get(`${p.id}|${d}`);
      const weekday = new Date(startMs + offset).getUTCDay();
      if (arrived !== undefined) marks.push(arrived <= startMs + day.bellMinutes * 60_000 ? 'present' : 'late');
      else if (weekday === 0 || weekday === 6 || startMs > input.nowMs) marks.push(null);
      else marks.push('absent');
    }
    const count = (m: Mark): number => marks.filter((x) => x === m).length;
    return { id: p.id, name: p.name, marks, present: count('present'), late: count('late'), absent: count('absent') };
  });
  return { group: input.group, month: input.month, days: bounds.days, rows };
}

export interface RegisterLabels {
  pupil: string;
  present: string;
  late: string;
  absent: string;
  marks: Record<Mark, string>;
}

function header(register: Register, labels: RegisterLabels): string[] {
  return [labels.pupil, ...Array.from({ length: register.days }, (_, i) => String(i + 1)), labels.present, labels.late, labels.absent];
}

function cells(row: RegisterRow, labels: RegisterLabels): string[] {
  return [row.name, ...row.marks.map((m) => (m === null ? '' : labels.marks[m])), String(row.present), String(row.late), String(row.absent)];
}

export function registerCsv(register: Register, labels: RegisterLabels): string {
  const lines = [header(register, labels), ...register.rows.map((r) => cells(r, labels))].map((line) => line.map(csvCell).join(','));
  // A byte-order mark: a spreadsheet then reads the Kazakh and Russian names as UTF-8.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const FILLS: Record<Mark, string> = { present: 'FFD9F2DD', late: 'FFFFF0C2', absent: 'FFF8D7DA' };

export async function registerXlsx(register: Register, labels: RegisterLabels): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(`${register.group} ${register.month}`.slice(0, 31));
  sheet.addRow(header(register, labels)).font = { bold: true };
  for (const row of register.rows) {
    const added = sheet.addRow([row.name, ...row.marks.map((m) => (m === null ? '' : labels.marks[m])), row.present, row.late, row.absent]);
    row.marks.forEach((m, i) => {
      if (m !== null) added.getCell(i + 2).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: FILLS[m] } };
    });
  }
  sheet.getColumn(1).width = 34;
  for (let c = 2; c <= register.days + 1; c++) sheet.getColumn(c).width = 4;
  sheet.views = [{ state: 'frozen', xSplit: 1, ySplit: 1 }];
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
