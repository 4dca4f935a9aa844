// The canteen's reports from the meals the tills served (meal-store.ts): the monthly free-meal report
// the school hands in by the 5th (each child's name and class, the category, how many free meals,
// what they cost, in tenge and tiyn), as JSON, CSV and XLSX; and a day's counts per period for the
// kitchen. Meals two offline tills both served are counted (both were eaten and the supplier served
// both) and shown in their own column, so the school can settle them with the flags list.
import ExcelJS from 'exceljs';
import type { HubStorage } from '../storage.js';
import type { MealStore } from './meal-store.js';

export interface FreeMealLine {
  personId: string;
  /** The roster's name, or null when the child has since been erased. */
  name: string | null;
  group: string | null;
  category: string | null;
  meals: number;
  costTiyn: number;
  doubleServed: number;
}

export interface FreeMealReport {
  month: string;
  lines: FreeMealLine[];
  totals: { meals: number; costTiyn: number; doubleServed: number };
}

/** `month` is YYYY-MM; its days as school-local dates, the form the tills record. */
export async function freeMealReport(meals: MealStore, storage: HubStorage, month: string): Promise<FreeMealReport> {
  const totals = await meals.freeMealTotals(`${month}-01`, `${month}-31`);
  const lines: FreeMealLine[] = [];
  for (const row of totals) {
    const person = await storage.rosterEntity('person', row.personId);
    const data = person?.op === 'upsert' && person.type === 'person' ? person.data : null;
    lines.push({ ...row, name: data?.name ?? null, group: data?.group ?? null });
  }
  lines.sort((a, b) => (a.group ?? '').localeCompare(b.group ?? '', 'kk') || (a.name ?? '').localeCompare(b.name ?? '', 'kk') || a.personId.localeCompare(b.personId));
  const sum = (pick: (line: FreeMealLine) => number): number => lines.reduce((total, line) => total + pick(line), 0);
  return { month, lines, totals: { meals: sum((l) => l.meals), costTiyn: sum((l) => l.costTiyn), doubleServed: sum((l) => l.doubleServed) } };
}

/** Tenge with two decimals from integer tiyn, without floating point. */
export function tenge(tiyn: number): string {
  const sign = tiyn < 0 ? '-' : '';
  const abs = Math.abs(tiyn);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const HEADER = ['class', 'name', 'category', 'free_meals', 'cost_tenge', 'cost_tiyn', 'double_served'];

function cells(line: FreeMealLine): string[] {
  return [line.group ?? '', line.name ?? '(erased)', line.category ?? '', String(line.meals), tenge(line.costTiyn), String(line.costTiyn), String(line.doubleServed)];
}

function csvCell(value: string): string {
  // A cell starting with = + - @ would be a formula in a spreadsheet: kept as text.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",;\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function freeMealCsv(report: FreeMealReport): string {
  const rows = [HEADER, ...report.lines.map(cells), ['', 'total', '', String(report.totals.meals), tenge(report.totals.costTiyn), String(report.totals.costTiyn), String(report.totals.doubleServed)]];
  // UTF-8 with a BOM: spreadsheet programs then read Kazakh and Russian names right.
  return `\uFEFF${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export async function freeMealXlsx(report: FreeMealReport): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(`free meals ${report.month}`);
  sheet.addRow(HEADER);
  for (const line of report.lines) {
    sheet.addRow([line.group ?? '', line.name ?? '(erased)', line.category ?? '', line.meals, Number(tenge(line.costTiyn)), line.costTiyn, line.doubleServed]);
  }
  sheet.addRow(['', 'total', '', report.totals.meals, Number(tenge(report.totals.costTiyn)), report.totals.costTiyn, report.totals.doubleServed]);
  sheet.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
