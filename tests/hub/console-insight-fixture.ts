// What the chart, staff and library console tests share (HTTP and Chromium): last month on the
// school's clock; a month of pupils' and staff's arrivals and exits, and staff today, through the
// hub's own ingest; the catalogue with its two bad lines; loans at two desks folded by the library.
import { expect } from 'vitest';
import { hashToken } from '../../hub/auth.js';
import { DEFAULT_SCHOOL_DAY } from '../../hub/console/index.js';
import { dayBounds } from '../../hub/console/attendance.js';
import { event, items, person } from './backends.js';
import type { ConsoleHarness } from './console-harness.js';
import type { ConsoleClient } from './console-people-client.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const OFFSET = DEFAULT_SCHOOL_DAY.utcOffsetMinutes * MINUTE;
const BELL = DEFAULT_SCHOOL_DAY.bellMinutes * MINUTE;

/** Last month on the school's clock. */
export function lastMonth(): { month: string; days: number; midnight: (day: number) => number; weekday: (day: number) => number } {
  const local = new Date(Date.now() + OFFSET);
  const year = local.getUTCMonth() === 0 ? local.getUTCFullYear() - 1 : local.getUTCFullYear();
  const index = (local.getUTCMonth() + 11) % 12;
  return {
    month: `${year}-${String(index + 1).padStart(2, '0')}`,
    days: new Date(Date.UTC(year, index + 1, 0)).getUTCDate(),
    midnight: (day) => Date.UTC(year, index, day) - OFFSET,
    weekday: (day) => new Date(Date.UTC(year, index, day)).getUTCDay(),
  };
}

export const STAFF = [
  { id: 's-1', name: 'Гүлнар Ахметова' },
  { id: 's-2', name: 'Марат Бекұлы' },
];

/** Last month's pupils' arrivals and staff's days, and staff today: written through the hub's ingest. */
/** `seq`: kiosk-1's next seq (the harness's school used 1-5). */
export async function seedMonth(harness: ConsoleHarness, seq = 6): Promise<{ monday: number; tuesday: number; today: { startMs: number } }> {
  const m = lastMonth();
  const monday = [1, 2, 3, 4, 5, 6, 7].find((d) => m.weekday(d) === 1) ?? 0;
  const tuesday = monday + 1;
  await harness.storage.applyRoster(STAFF.map((s) => person(s.id, { name: s.name, group: null, role: 'staff' })));
  const at = (ms: number): { wallMs: number; at: string } => ({ wallMs: ms, at: new Date(ms).toISOString() });
  const day = (d: number, sinceBell: number): { wallMs: number; at: string } => at(m.midnight(d) + BELL + sinceBell);
  const { startMs } = dayBounds(Date.now(), DEFAULT_SCHOOL_DAY);
  const events = [
    event(seq + 0, { personId: 'p-1', ...day(monday, -10 * MINUTE) }),
    event(seq + 1, { personId: 'p-1', ...day(tuesday, 5 * MINUTE) }),
    event(seq + 2, { personId: 'p-2', ...day(monday, 30 * MINUTE) }),
    event(seq + 3, { personId: 'p-3', direction: 'out', ...day(monday, -HOUR) }),
    event(seq + 4, { personId: 's-1', ...day(monday, -40 * MINUTE) }),
    event(seq + 5, { personId: 's-1', direction: 'out', ...day(monday, 8 * HOUR) }),
    event(seq + 6, { personId: 's-1', direction: 'out', ...day(monday, 5 * HOUR) }),
    event(seq + 7, { personId: 's-2', direction: 'out', ...day(tuesday, 8 * HOUR) }),
    // Today, a few minutes after local midnight so that it is in the past whenever the test runs.
    event(seq + 8, { personId: 's-1', ...at(startMs + 2 * MINUTE) }),
    event(seq + 9, { personId: 's-1', direction: 'out', ...at(startMs + 3 * MINUTE) }),
    event(seq + 10, { personId: 's-1', ...at(startMs + 4 * MINUTE) }),
    event(seq + 11, { personId: 's-1', direction: 'out', ...at(startMs + 6 * MINUTE) }),
  ];
  const response = await harness.storage.ingest('kiosk-1', items(...events), null, null, Date.now());
  expect(response, JSON.stringify(response)).toMatchObject({ accepted: events.map((e) => e.id) });
  return { monday, tuesday, today: { startMs } };
}

export const CATALOGUE = [
  'barcode,isbn,title,author,year,reading_room', // 1
  'L-1,,Абай жолы,Мұхтар Әуезов,1942,', // 2
  'L-2,,Абай жолы,Мұхтар Әуезов,1942,', // 3
  'L-3,,Қан мен тер,Әбдіжәміл Нұрпейісов,1970,', // 4
  'L-4,,,Nobody,2000,', // 5: no title
  'L-2,,Көшпенділер,Ілияс Есенберлин,1976,', // 6: L-2 twice
  'L-5,,Көшпенділер,Ілияс Есенберлин,1976,', // 7
].join('\n');

/** Uploads the catalogue as a file, as the page's form does. */
export async function uploadCatalogue(client: ConsoleClient, csv: string, skipBad: boolean): Promise<Response> {
  const form = new FormData();
  form.set('_csrf', await client.csrf());
  if (skipBad) form.set('skipBad', '1');
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'catalogue.csv');
  return fetch(`${client.url}/console/library/import`, { method: 'POST', redirect: 'manual', headers: { cookie: client.cookie, origin: client.url }, body: form });
}

/** Loans at two desks: L-1 lent to p-1 at desk-a and to p-4 at desk-b while offline (a double loan); L-3 to p-1, overdue; L-5 to p-5, returned. */
export async function lendBooks(harness: ConsoleHarness): Promise<void> {
  // Minutes ago, not days: the console's reports count from 1 September, and a test run early in
  // September must still see these loans. Overdue comes from the due date, not from when it was lent.
  const at = Date.now() - 2 * MINUTE;
  const loan = (seq: number, desk: string, personId: string, copyId: string, atMs: number, type = 'library.loan', dueDate: string | null = '2026-01-10') =>
    event(seq, { type, door: 'library', direction: null, personId, at: new Date(atMs).toISOString(), wallMs: atMs, bootId: `${desk}-boot`, data: { copyId, titleId: null, dueDate: type === 'library.return' ? null : dueDate, renewals: 0, loanEventId: null } });
  for (const desk of ['desk-a', 'desk-b']) await harness.storage.addDevice(desk, desk, await hashToken(`${desk}-token-for-console-tests`));
  const a = [loan(1, 'desk-a', 'p-1', 'L-1', at), loan(2, 'desk-a', 'p-1', 'L-3', at + 1000), loan(3, 'desk-a', 'p-5', 'L-5', at + 2000, 'library.loan', '2099-01-01'), loan(4, 'desk-a', 'p-5', 'L-5', at + 3000, 'library.return')];
  const b = [loan(1, 'desk-b', 'p-4', 'L-1', at + 60_000, 'library.loan', '2099-01-01')];
  expect((await harness.storage.ingest('desk-a', items(...a), null, null, Date.now())).accepted).toHaveLength(a.length);
  expect((await harness.storage.ingest('desk-b', items(...b), null, null, Date.now())).accepted).toHaveLength(b.length);
  await harness.library?.folder.catchUp();
}

