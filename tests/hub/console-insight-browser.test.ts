// The month's attendance chart, staff attendance and the librarian's pages in real headless
// Chromium against a real hub serving its library, on SQLite and PostgreSQL. The chart is drawn
// (SVG bars with their numbers as accessible names, no CSP violation in the console) and its table
// equals the numbers the register gives; staff today and the month with its CSV link; the
// librarian uploads the catalogue through the file input (bad lines listed), reads the overdue list,
// finds a copy and marks the double-loan flag resolved. A class teacher of another class, a
// technician and a librarian each get 403 where they have no business. Screenshots go to
// artifacts/console/insight-*.png.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { CATALOGUE, lastMonth, lendBooks, seedMonth } from './console-insight-fixture.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../artifacts/console');

describe.each(backends)('chart, staff and library pages in Chromium on %s', (backendName, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let browser: LaunchedChromium;
  let page: Page;
  let seeded: Awaited<ReturnType<typeof seedMonth>>;
  const csp: string[] = [];
  const m = lastMonth();

  async function login(username: string): Promise<void> {
    await browser.context.clearCookies();
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.goto(`${harness.url}/console/lang?to=en&back=/console/home`);
  }

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, `insight-${backendName}-${name}.png`), await page.screenshot({ fullPage: true }));
  }

  async function status(path: string): Promise<number | undefined> {
    return (await page.goto(`${harness.url}${path}`))?.status();
  }

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend, { library: true });
    await harness.account('director', 'director');
    await harness.account('teacher6b', 'class_teacher', '6Б');
    await harness.account('librarian', 'librarian');
    await harness.account('tech', 'technician');
    seeded = await seedMonth(harness);
    browser = await launchChromium({ width: 1280, height: 800 });
    page = await browser.context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) csp.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await backend?.stop();
  });

  beforeEach(() => {
    csp.length = 0;
  });

  it('draws the month\'s chart with the register\'s numbers, accessibly, under the CSP', async () => {
    await login('director');
    await page.goto(`${harness.url}/console/classes/${encodeURIComponent('5А')}`);
    await Promise.all([page.waitForNavigation(), page.click('#chart-link')]);
    await page.goto(`${harness.url}/console/classes/${encodeURIComponent('5А')}/chart?month=${m.month}`);
    expect(await page.textContent('#chart-title')).toBe(`Attendance chart: 5А, ${m.month}`);
    const bar = page.locator(`#chart g[data-day="${seeded.monday}"]`);
    expect(await bar.getAttribute('aria-label')).toBe(`Day ${seeded.monday}: Present 1, Late 1, Absent 1`);
    // Drawn: each mark's rectangle has a height in proportion (3 pupils, one each).
    const heights = await page.$$eval(`#chart g[data-day="${seeded.monday}"] rect`, (rects) => rects.map((r) => Math.round(r.getBoundingClientRect().height)));
    expect(heights).toHaveLength(3);
    expect(new Set(heights).size).toBe(1);
    expect(heights[0]).toBeGreaterThan(50);
    const tuesday = await page.$$eval(`#chart-table tr[data-day="${seeded.tuesday}"] > *`, (cells) => cells.map((c) => c.textContent));
    expect(tuesday).toEqual([String(seeded.tuesday), '0', '1', '2']);
    // The accessible name Chromium computes from aria-labelledby: the title and the description.
    expect(await page.getByRole('img', { name: `Attendance chart: 5А, ${m.month}`, exact: false }).count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole('img', { name: `Day ${seeded.tuesday}: Present 0, Late 1, Absent 2` }).count()).toBe(1);
    expect(csp).toEqual([]);
    await screenshot('chart');
  });

  it('shows staff today and for the month, with the CSV link', async () => {
    await login('director');
    await page.goto(`${harness.url}/console/staff`);
    expect(await page.$$eval('#staff-today tr[data-person="s-1"] td', (cells) => cells.map((c) => c.textContent))).toEqual(['Гүлнар Ахметова', 'yes', '00:02', '00:06']);
    expect(await page.getAttribute('#staff-today tr[data-person="s-2"]', 'data-in')).toBe('no');
    await screenshot('staff-today');
    await page.goto(`${harness.url}/console/staff/month?month=${m.month}`);
    expect(await page.$$eval('#staff-month tr[data-person="s-1"] td', (cells) => cells[1]?.textContent)).toBe('1');
    const csv = await page.getAttribute('#staff-csv', 'href');
    expect(csv).toBe(`/console/staff/month?month=${m.month}&format=csv`);
    await screenshot('staff-month');
  });

  it('the librarian uploads the catalogue, reads the overdue list, finds a copy and resolves a flag', async () => {
    await login('librarian');
    await page.goto(`${harness.url}/console/library/import`);
    const file = { name: 'catalogue.csv', mimeType: 'text/csv', buffer: Buffer.from(CATALOGUE) };
    await page.setInputFiles('input[type=file]', file);
    await Promise.all([page.waitForNavigation(), page.click('#catalogue-form button[type=submit]')]);
    expect(await page.$$eval('#catalogue-errors tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.line))).toEqual(['5', '6']);
    await screenshot('library-import-refused');
    await page.setInputFiles('input[type=file]', file);
    await page.check('input[name=skipBad]');
    await Promise.all([page.waitForNavigation(), page.click('#catalogue-form button[type=submit]')]);
    expect(await page.getAttribute('#catalogue-done', 'data-copies')).toBe('4');
    await lendBooks(harness);
    await page.goto(`${harness.url}/console/library`);
    const overdue = await page.$$eval('#library-overdue tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(overdue.map((r) => r.slice(0, 3)).sort()).toEqual([['5А', 'Әсел Ғалымова', 'L-1'], ['5А', 'Әсел Ғалымова', 'L-3']]);
    await screenshot('library');
    await page.goto(`${harness.url}/console/library/copies`);
    await page.fill('input[name=barcode]', 'L-1');
    await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
    expect(await page.$$eval('#copy-loans tbody tr', (trs) => trs.length)).toBe(2);
    await screenshot('library-copy');
    await page.goto(`${harness.url}/console/library/flags`);
    await Promise.all([page.waitForNavigation(), page.click('#library-flags tr[data-kind="double_loan"] button')]);
    expect(await page.getAttribute('#library-flags tr[data-kind="double_loan"]', 'data-resolved')).toBe('yes');
    await screenshot('library-flags');
    expect(csp).toEqual([]);
  });

  it('refuses by role: another class\'s chart, staff for non-directors, the library for a technician', async () => {
    await login('teacher6b');
    expect(await status(`/console/classes/${encodeURIComponent('5А')}/chart?month=${m.month}`)).toBe(403);
    expect(await status(`/console/classes/${encodeURIComponent('6Б')}/chart?month=${m.month}`)).toBe(200);
    expect(await status('/console/staff')).toBe(403);
    expect(await status('/console/library')).toBe(403);
    await login('librarian');
    expect(await status('/console/staff')).toBe(403);
    expect(await status(`/console/classes/${encodeURIComponent('5А')}/chart?month=${m.month}`)).toBe(403);
    await login('tech');
    for (const path of ['/console/library', '/console/library/flags', '/console/library/copies?barcode=L-1', '/console/staff/month']) {
      expect(await status(path), path).toBe(403);
      expect(await page.content()).not.toMatch(/Ғалымова|Ахметова|Абай жолы/);
    }
    await screenshot('denied');
  });
});
