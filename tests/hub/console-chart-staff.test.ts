// The month's attendance chart and staff attendance over HTTP from a real hub on SQLite and
// PostgreSQL, with arrivals written through the hub's own ingest. The chart's numbers per day must
// equal the columns of the same month's register CSV (and the hand-computed marks); the chart is SVG
// with a title and a description, no script, under the console's CSP. Staff attendance shows first
// in and last out (an exit alone is no arrival) today and for a month, and exports CSV. A class
// teacher of another class, a technician and a librarian get 403, audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStoreFor } from '../../hub/console/index.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';
import { lastMonth, seedMonth } from './console-insight-fixture.js';

function cellsOf(html: string, table: string): Map<string, string[]> {
  const section = html.slice(html.indexOf(`<table id="${table}"`));
  const rows = new Map<string, string[]>();
  for (const match of section.slice(0, section.indexOf('</table>')).matchAll(/<tr data-(?:day|person)="([^"]+)"[^>]*>(.*?)<\/tr>/g)) {
    rows.set(match[1] ?? '', [...(match[2] ?? '').matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => c[1] ?? ''));
  }
  return rows;
}

describe.each(backends)('attendance chart and staff attendance on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let seeded: Awaited<ReturnType<typeof seedMonth>>;
  const m = lastMonth();

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.account('director', 'director');
    await harness.account('teacher6b', 'class_teacher', '6Б');
    await harness.account('tech', 'technician');
    await harness.account('librarian', 'librarian');
    seeded = await seedMonth(harness);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  it('charts each school day of the month with the register\'s own numbers', async () => {
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    const response = await fetch(`${harness.url}/console/classes/${encodeURIComponent('5А')}/chart?month=${m.month}`, { headers: { cookie: `${director.cookie}; esik_lang=en` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'none'");
    const html = await response.text();
    expect(html).toMatch(/<svg id="chart"[^>]*role="img"[^>]*aria-labelledby="chart-title chart-desc"/);
    expect(html).toContain('<title id="chart-title">Attendance chart: 5А');
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    expect(svg).not.toMatch(/<script|style=|href=/);
    const chart = cellsOf(html, 'chart-table');
    // Hand-computed: Monday Әсел present, Қуаныш late, Ұлжан absent (her leaving is no arrival); Tuesday 0/1/2.
    expect(chart.get(String(seeded.monday))).toEqual([String(seeded.monday), '1', '1', '1']);
    expect(chart.get(String(seeded.tuesday))).toEqual([String(seeded.tuesday), '0', '1', '2']);
    expect(html).toContain(`aria-label="Day ${seeded.monday}: Present 1, Late 1, Absent 1"`);
    // Every column of the register's CSV, summed, is the chart's day; a blank column is no bar.
    const csv = await (await fetch(`${harness.url}/console/classes/${encodeURIComponent('5А')}/register?month=${m.month}&format=csv`, { headers: { cookie: `${director.cookie}; esik_lang=en` } })).text();
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => l.split(','));
    const expected = new Map<string, string[]>();
    for (let d = 1; d <= m.days; d++) {
      const column = lines.map((l) => l[d] ?? '');
      if (column.every((c) => c === '')) continue;
      expected.set(String(d), [String(d), ...['P', 'L', 'A'].map((mark) => String(column.filter((c) => c === mark).length))]);
    }
    expect(expected.size).toBeGreaterThan(15);
    expect(chart).toEqual(expected);
  });

  it('refuses another class\'s teacher, a technician and a librarian; audits the views', async () => {
    const chart = (group: string): string => `/console/classes/${encodeURIComponent(group)}/chart?month=${m.month}`;
    const teacher = await ConsoleClient.signIn(harness.url, 'teacher6b', PASSWORD);
    expect((await teacher.get(chart('5А'))).status).toBe(403);
    expect((await teacher.get(chart('6Б'))).status).toBe(200);
    for (const username of ['tech', 'librarian']) {
      const client = await ConsoleClient.signIn(harness.url, username, PASSWORD);
      const refused = await client.get(chart('5А'));
      expect(refused.status).toBe(403);
      expect(await refused.text()).not.toContain('Ғалымова');
    }
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    expect((await director.get(`/console/classes/${encodeURIComponent('5А')}/chart?month=2026-13`)).status).toBe(400);
    const store = await consoleStoreFor(harness.storage);
    const denied = (await store.auditOf(harness.accounts.get('teacher6b')?.id ?? '', 0, Date.now() + 1, 100)).filter((r) => r.action === 'denied');
    expect(denied.map((r) => r.subject)).toContain('class:5А');
  });

  it('shows staff today: came in, first in, last out; an exit alone is not an arrival', async () => {
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    const response = await fetch(`${harness.url}/console/staff`, { headers: { cookie: `${director.cookie}; esik_lang=en` } });
    expect(response.status).toBe(200);
    const rows = cellsOf(await response.text(), 'staff-today');
    expect(rows.get('s-1')).toEqual(['Гүлнар Ахметова', 'yes', '00:02', '00:06']);
    expect(rows.get('s-2')).toEqual(['Марат Бекұлы', 'no', '—', '—']);
    expect(rows.has('p-1')).toBe(false);
  });

  it('shows and exports a month of staff attendance; only the director may', async () => {
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    const page = await (await fetch(`${harness.url}/console/staff/month?month=${m.month}`, { headers: { cookie: `${director.cookie}; esik_lang=en` } })).text();
    const rows = cellsOf(page, 'staff-month');
    expect(rows.get('s-1')?.slice(0, 2)).toEqual(['Гүлнар Ахметова', '1']);
    expect(rows.get('s-2')?.slice(0, 2)).toEqual(['Марат Бекұлы', '0']);
    const csvResponse = await fetch(`${harness.url}/console/staff/month?month=${m.month}&format=csv`, { headers: { cookie: `${director.cookie}; esik_lang=en` } });
    expect(csvResponse.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await csvResponse.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
    const date = (d: number): string => `${m.month}-${String(d).padStart(2, '0')}`;
    expect(lines).toEqual(['Employee,Day,First in,Last out', `Гүлнар Ахметова,${date(seeded.monday)},07:20,16:00`, `Марат Бекұлы,${date(seeded.tuesday)},,16:00`]);
    for (const username of ['teacher6b', 'tech', 'librarian']) {
      const client = await ConsoleClient.signIn(harness.url, username, PASSWORD);
      for (const path of ['/console/staff', `/console/staff/month?month=${m.month}&format=csv`]) {
        const refused = await client.get(path);
        expect(refused.status).toBe(403);
        expect(await refused.text()).not.toContain('Ахметова');
      }
    }
    const store = await consoleStoreFor(harness.storage);
    const actions = (await store.auditOf(harness.accounts.get('director')?.id ?? '', 0, Date.now() + 1, 1000)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['view.staff', 'staff.export', 'view.chart']));
  });
});
