// The audit trail in real Chromium, on SQLite and PostgreSQL: a user's console actions, performed in
// the browser, come back from a director's export for that user and period (JSON and CSV) exactly,
// in order, with address and subject; a period before them is empty; and the database itself refuses
// to change or remove an audit record (UPDATE, DELETE, and on PostgreSQL TRUNCATE).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { consoleStoreFor, type AccountRecord } from '../../hub/console/index.js';
import { PgHubStorage, SqliteHubStorage } from '../../hub/index.js';
import { safeWriteFile } from '../../lib/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../artifacts/console');

interface ExportedRecord {
  id: number;
  at: string;
  username: string;
  action: string;
  address: string;
  subject: string | null;
  detail: Record<string, unknown>;
}

describe.each(backends)('console audit on %s', (name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let browser: LaunchedChromium;
  let page: Page;
  let teacher: AccountRecord;

  async function login(username: string): Promise<void> {
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.account('director', 'director');
    teacher = await harness.account('teacher5a', 'class_teacher', '5А');
    browser = await launchChromium({ width: 1280, height: 800 });
    page = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await backend?.stop();
  });

  it("exports exactly the actions one user performed in the period, as JSON and CSV", async () => {
    const started = Date.now();
    // The teacher's session: a login, their class, a refused look at another class, a logout.
    await login('teacher5a');
    await page.goto(`${harness.url}/console/classes/${encodeURIComponent('6Б')}`);
    await page.goto(`${harness.url}/console/classes/${encodeURIComponent('5А')}`);
    await Promise.all([page.waitForNavigation(), page.click('form.logout button')]);
    const ended = Date.now() + 1;

    await login('director');
    await page.goto(`${harness.url}/console/audit`);
    // On screen, for today (the form's default period): the teacher's five actions.
    await page.selectOption('select[name=account]', 'teacher5a');
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    expect(await page.$$eval('#audit tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent))).toEqual(['login', 'view.class', 'denied', 'view.class', 'logout']);
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, `${name}-audit.png`), await page.screenshot({ fullPage: true }));
    const period = `from=${new Date(started).toISOString()}&to=${new Date(ended).toISOString()}`;
    const json = await page.context().request.get(`${harness.url}/console/audit/export?account=teacher5a&${period}&format=json`);
    expect(json.status()).toBe(200);
    const records = (await json.json()) as ExportedRecord[];
    expect(records.map((r) => [r.action, r.subject])).toEqual([
      ['login', `account:${teacher.id}`],
      ['view.class', 'class:5А'], // the landing page after login
      ['denied', 'class:6Б'],
      ['view.class', 'class:5А'],
      ['logout', null],
    ]);
    for (const r of records) {
      expect(r.username).toBe('teacher5a');
      expect(r.address).toBe('127.0.0.1');
      expect(Date.parse(r.at)).toBeGreaterThanOrEqual(started - 1000);
    }

    const csv = await page.context().request.get(`${harness.url}/console/audit/export?account=teacher5a&${period}&format=csv`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,at,username,action,address,subject,detail');
    expect(lines.slice(1).map((l) => l.split(',')[3])).toEqual(records.map((r) => r.action));

    const before = await page.context().request.get(`${harness.url}/console/audit/export?account=teacher5a&from=2020-01-01&to=2020-12-31&format=json`);
    expect(await before.json()).toEqual([]);

    // The export itself is on the director's record.
    const store = await consoleStoreFor(harness.storage);
    const director = harness.accounts.get('director') as AccountRecord;
    const mine = await store.auditOf(director.id, started, Date.now() + 1, 100);
    // On screen, JSON, CSV, and the empty earlier period: four looks at the teacher's record.
    expect(mine.filter((r) => r.action === 'audit.export').map((r) => r.subject)).toEqual(Array<string>(4).fill(`account:${teacher.id}`));
  });

  it('the database refuses to edit or delete an audit record', async () => {
    const store = await consoleStoreFor(harness.storage);
    const count = (await store.auditOf(teacher.id, 0, Date.now() + 1, 1000)).length;
    expect(count).toBeGreaterThan(0);
    const statements = ["UPDATE console_audit SET action = 'nothing'", 'DELETE FROM console_audit'];
    if (harness.storage instanceof SqliteHubStorage) {
      const db = harness.storage.database;
      for (const sql of statements) await expect(db.run(sql)).rejects.toThrow(/append-only/);
    } else if (harness.storage instanceof PgHubStorage) {
      const db = harness.storage.database;
      for (const sql of [...statements, 'TRUNCATE console_audit']) await expect(db.query(sql)).rejects.toThrow(/append-only/);
    } else {
      throw new Error('unknown storage');
    }
    const after = await store.auditOf(teacher.id, 0, Date.now() + 1, 1000);
    expect(after.length).toBe(count);
    expect(after.every((r) => r.action !== 'nothing')).toBe(true);
  });
});
