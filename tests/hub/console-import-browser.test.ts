// The class-list import in real headless Chromium (Debian's chromium through playwright-core)
// against a real hub on SQLite and on PostgreSQL: a director uploads a 1,000-row CSV with 3 bad
// rows through the page's file input; the page lists the 3 line numbers with their reasons and
// nothing is imported (the kiosk's next pull brings nothing new). Uploaded again with "skip bad
// rows" ticked, 997 pupils are imported and the kiosk's next roster pull over its own API carries
// exactly those 997, by name and class, with no ИИН and no phone. Screenshots go to
// artifacts/console/.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { safeWriteFile } from '../../lib/index.js';
import type { WireRosterChange } from '../../protocol/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { sampleClassList } from '../../scripts/class-list-sample.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../artifacts/console');
const DEVICE_TOKEN = 'device-token-for-console-tests';

/** The kiosk's pull over the device API, page by page from `since`, as sync/ does it. */
async function kioskPull(url: string, since: string | null): Promise<{ changes: WireRosterChange[]; cursor: string }> {
  const changes: WireRosterChange[] = [];
  let cursor = since;
  for (;;) {
    const query = cursor === null ? '' : `?since=${cursor}`;
    const response = await fetch(`${url}/v1/devices/kiosk-1/roster${query}`, { headers: { authorization: `Bearer ${DEVICE_TOKEN}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { changes: WireRosterChange[]; cursor: string; more: boolean };
    changes.push(...page.changes);
    cursor = page.cursor;
    if (!page.more) return { changes, cursor };
  }
}

describe.each(backends)('class-list import in Chromium on %s', (backendName, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let browser: LaunchedChromium;
  let page: Page;
  const sample = sampleClassList(1000, [41, 517, 998]);

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, `${backendName}-${name}.png`), await page.screenshot({ fullPage: name !== 'import-done' }));
  }

  async function upload(skipBad: boolean): Promise<number | undefined> {
    await page.goto(`${harness.url}/console/people/import`);
    await page.setInputFiles('input[name=file]', { name: 'class-list.csv', mimeType: 'text/csv', buffer: Buffer.from(sample.csv) });
    if (skipBad) await page.check('input[name=skipBad]');
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#import-form button[type=submit]')]);
    return response?.status();
  }

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.account('director', 'director');
    browser = await launchChromium({ width: 1280, height: 800 });
    page = await browser.context.newPage();
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', 'director');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.click('a[lang=en]');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await backend?.stop();
  });

  it('lists the 3 bad lines with their reasons and imports nothing; with skip, 997 reach the kiosk\'s next pull', async () => {
    const before = await kioskPull(harness.url, null);
    await screenshot('import-form');

    expect(await upload(false)).toBe(422);
    const reported = await page.$$eval('#import-errors tbody tr', (rows) => rows.map((r) => [Number((r as HTMLElement).dataset.line), r.children[1]?.textContent ?? '']));
    expect(reported).toEqual([
      [43, 'ИИН: wrong check digit'],
      [519, 'ИИН: its birth date is not a real date'],
      [1000, 'a guardian’s phone is not a Kazakh number (+7 7XX XXX XX XX)'],
    ]);
    expect(sample.badLines.map((b) => b.line)).toEqual([43, 519, 1000]);
    expect(await page.textContent('#import-refused')).toContain('nothing was imported');
    await screenshot('import-refused');
    expect((await kioskPull(harness.url, before.cursor)).changes).toEqual([]);

    expect(await upload(true)).toBe(200);
    expect(await page.getAttribute('#import-done', 'data-imported')).toBe('997');
    expect(await page.textContent('#import-done')).toBe('Imported: 997. Skipped: 3.');
    await screenshot('import-done');

    const pulled = await kioskPull(harness.url, before.cursor);
    const pupils = pulled.changes.flatMap((c) => (c.op === 'upsert' && c.type === 'person' && c.data.role === 'student' ? [c.data] : []));
    expect(pupils).toHaveLength(997);
    expect(pupils.map((p) => `${p.group}|${p.name.split(' ').slice(0, 2).join(' ')}`).sort()).toEqual(sample.good.map((g) => `${g.group}|${g.surname} ${g.name}`).sort());
    const wire = JSON.stringify(pulled.changes);
    expect(sample.good.some((g) => wire.includes(g.iin))).toBe(false);
    expect(wire).not.toMatch(/\+7\d{10}/);

    await page.click(`a[href="/console/people/classes/${encodeURIComponent('1А')}"]`);
    expect(await page.$$eval('#people tbody tr', (rows) => rows.length)).toBe(sample.good.filter((g) => g.group === '1А').length);
    await screenshot('people-class');
  }, 120_000);
});
