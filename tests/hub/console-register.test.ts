// The monthly register (табель) of a class, exported by a director as XLSX and CSV from a real hub
// on SQLite and PostgreSQL, with arrivals written through the hub's own ingest on last month's first
// Monday, Tuesday and Saturday. The XLSX is opened with exceljs: each pupil's row holds present,
// late and absent on the right days (a leaving is not an arrival; a weekend with no arrival is
// blank; another class's pupil is not there), with the counts. Teachers of another class and
// technicians get 403; each export is an audit record.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStoreFor, DEFAULT_SCHOOL_DAY } from '../../hub/console/index.js';
import { backends, event, items, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

const HOUR = 3_600_000;
const OFFSET = DEFAULT_SCHOOL_DAY.utcOffsetMinutes * 60_000;
const BELL = DEFAULT_SCHOOL_DAY.bellMinutes * 60_000;

/** Last month on the school's clock: its 'YYYY-MM', days, and local midnight (UTC ms) of a day. */
function lastMonth(): { month: string; days: number; midnight: (day: number) => number; weekday: (day: number) => number } {
  const local = new Date(Date.now() + OFFSET);
  const year = local.getUTCMonth() === 0 ? local.getUTCFullYear() - 1 : local.getUTCFullYear();
  const index = (local.getUTCMonth() + 11) % 12;
  const days = new Date(Date.UTC(year, index + 1, 0)).getUTCDate();
  return {
    month: `${year}-${String(index + 1).padStart(2, '0')}`,
    days,
    midnight: (day) => Date.UTC(year, index, day) - OFFSET,
    weekday: (day) => new Date(Date.UTC(year, index, day)).getUTCDay(),
  };
}

describe.each(backends)('class register on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  const m = lastMonth();
  const monday = [1, 2, 3, 4, 5, 6, 7].find((d) => m.weekday(d) === 1) ?? 0;
  const tuesday = monday + 1;
  const saturday = monday + 5;
  const weekdays = Array.from({ length: m.days }, (_, i) => i + 1).filter((d) => m.weekday(d) !== 0 && m.weekday(d) !== 6).length;

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.account('director', 'director');
    await harness.account('teacher6b', 'class_teacher', '6Б');
    await harness.account('tech', 'technician');
    const at = (day: number, sinceBell: number): { wallMs: number; at: string } => ({ wallMs: m.midnight(day) + BELL + sinceBell, at: new Date(m.midnight(day) + BELL + sinceBell).toISOString() });
    const arrivals = [
      event(6, { personId: 'p-1', ...at(monday, -10 * 60_000) }),
      event(7, { personId: 'p-1', ...at(monday, 2 * HOUR) }), // a second entry the same day changes nothing
      event(8, { personId: 'p-1', ...at(tuesday, 5 * 60_000) }),
      event(9, { personId: 'p-2', ...at(monday, 30 * 60_000) }),
      event(10, { personId: 'p-3', direction: 'out', ...at(monday, -HOUR) }),
      event(11, { personId: 'p-3', ...at(saturday, -HOUR) }),
      event(12, { personId: 'p-4', ...at(monday, -HOUR) }),
    ];
    const response = await harness.storage.ingest('kiosk-1', items(...arrivals), null, null, Date.now());
    expect(response.accepted).toHaveLength(arrivals.length);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  async function download(client: ConsoleClient, format: 'xlsx' | 'csv', group = '5А'): Promise<Response> {
    return fetch(`${harness.url}/console/classes/${encodeURIComponent(group)}/register?month=${m.month}&format=${format}`, { headers: { cookie: `${client.cookie}; esik_lang=en` } });
  }

  it('exports an XLSX that exceljs opens, with each pupil\'s marks on the right days and the counts', async () => {
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    const response = await download(director, 'xlsx');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.worksheets[0];
    if (!sheet) throw new Error('no sheet');
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual(['Pupil', ...Array.from({ length: m.days }, (_, i) => String(i + 1)), 'Present', 'Late', 'Absent']);
    const rows = new Map<string, unknown[]>();
    for (let r = 2; r <= sheet.rowCount; r++) {
      const values = (sheet.getRow(r).values as unknown[]).slice(1);
      rows.set(String(values[0]), values);
    }
    expect([...rows.keys()].sort()).toEqual(['Әсел Ғалымова', 'Қуаныш Өмірзақов', 'Ұлжан Үсенова'].sort());
    const cell = (name: string, day: number): unknown => rows.get(name)?.[day] ?? '';
    expect([cell('Әсел Ғалымова', monday), cell('Әсел Ғалымова', tuesday), cell('Әсел Ғалымова', tuesday + 1), cell('Әсел Ғалымова', saturday)]).toEqual(['P', 'L', 'A', '']);
    expect([cell('Қуаныш Өмірзақов', monday), cell('Қуаныш Өмірзақов', tuesday)]).toEqual(['L', 'A']);
    expect([cell('Ұлжан Үсенова', monday), cell('Ұлжан Үсенова', saturday)]).toEqual(['A', 'P']);
    const counts = (name: string): unknown[] => rows.get(name)?.slice(m.days + 1) ?? [];
    expect(counts('Әсел Ғалымова')).toEqual([1, 1, weekdays - 2]);
    expect(counts('Қуаныш Өмірзақов')).toEqual([0, 1, weekdays - 1]);
    expect(counts('Ұлжан Үсенова')).toEqual([1, 0, weekdays]);
  });

  it('exports the same grid as CSV; refuses other classes\' teachers and technicians; audits each export', async () => {
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    const csv = await (await download(director, 'csv')).text();
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(4);
    const asel = lines.find((l) => l.startsWith('Әсел Ғалымова,'))?.split(',') ?? [];
    expect([asel[monday], asel[tuesday], asel[saturday], ...asel.slice(m.days + 1)]).toEqual(['P', 'L', '', '1', '1', String(weekdays - 2)]);
    const teacher = await ConsoleClient.signIn(harness.url, 'teacher6b', PASSWORD);
    expect((await download(teacher, 'xlsx')).status).toBe(403);
    expect((await download(teacher, 'xlsx', '6Б')).status).toBe(200);
    const tech = await ConsoleClient.signIn(harness.url, 'tech', PASSWORD);
    const refused = await download(tech, 'xlsx');
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('Ғалымова');
    expect((await fetch(`${harness.url}/console/classes/${encodeURIComponent('5А')}/register?month=2026-13`, { headers: { cookie: director.cookie } })).status).toBe(400);
    const store = await consoleStoreFor(harness.storage);
    const exports = (await store.auditOf(harness.accounts.get('director')?.id ?? '', 0, Date.now() + 1, 1000)).filter((r) => r.action === 'register.export');
    expect(exports.map((r) => [r.subject, r.detail.format])).toEqual([['class:5А', 'xlsx'], ['class:5А', 'csv']]);
  });
});
