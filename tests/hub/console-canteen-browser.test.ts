// The console's canteen pages in real headless Chromium (playwright-core) against a real hub on
// SQLite (ConsoleHarness with the canteen's stores). A cashier (role canteen) tops a child up: the
// form's transfer id is fixed when it is rendered, so a double click and two replays of the same
// form apply once; a reversal gives the money back as a correction and a second reversal is a
// duplicate. The director sees today's counts per period and the fold's flags, marks one resolved
// (audited, shown as resolved), reads the child's statement with its running balance, downloads the
// free-meal report, saves the menu (a bad document is refused with the field named, nothing saved)
// and uploads the free-meal register (a bad line named, nothing written). A class teacher and a
// technician get 403 on every canteen page and form; the technician's answers carry no name.
// Screenshots go to artifacts/console/.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personAccount } from '../../hub/canteen/index.js';
import { consoleStoreFor, DEFAULT_SCHOOL_DAY } from '../../hub/console/index.js';
import { safeWriteFile } from '../../lib/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { repoRoot } from '../device/daemon.js';
import { backends } from './backends.js';
import { ConsoleHarness, NAME_PARTS, PASSWORD, type HarnessCanteen } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

const ARTIFACTS = resolve(repoRoot, 'artifacts/console');
const CHILD = 'p-1'; // Әсел Ғалымова, 5А
const TODAY = new Date(Date.now() + DEFAULT_SCHOOL_DAY.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
const MENU = {
  periods: [{ id: 'lunch', kind: 'lunch', from: '12:00', to: '14:00', groups: ['*'], staff: true }],
  menu: [{ id: 'set-1', name: 'Бесбармак', kind: 'set', priceTiyn: 60_000, allergens: [], periods: ['lunch'], freeEligible: true }],
  staffMeals: 'paid',
};

/** What the fold would have written: two tills both served p-2's free lunch offline, and a paid one. */
async function seedMeals(canteen: HarnessCanteen): Promise<void> {
  await canteen.meals.store.driver.write(async (sql) => {
    const meal = 'INSERT INTO canteen_meals (event_id, device_id, hub_seq, person_id, day, period_id, free, free_category, charge_tiyn, subsidy_tiyn, served_ms, conflict) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)';
    await sql.query(meal, ['till-1:1', 'till-1', 1, 'p-2', TODAY, 'lunch', 1, 'large_family', 0, 60_000, Date.now(), 1]);
    await sql.query(meal, ['till-2:1', 'till-2', 2, 'p-2', TODAY, 'lunch', 1, 'large_family', 0, 60_000, Date.now(), 1]);
    await sql.query(meal, ['till-1:2', 'till-1', 3, 'p-3', TODAY, 'lunch', 0, null, 60_000, 0, Date.now(), 0]);
    const flag = 'INSERT INTO canteen_flags (kind, event_id, other_event_id, detail, created_ms) VALUES ($1, $2, $3, $4, $5)';
    await sql.query(flag, ['double_free_meal', 'till-2:1', 'till-1:1', JSON.stringify({ personId: 'p-2', deviceId: 'till-2' }), Date.now()]);
    await sql.query(flag, ['charge_refused', 'till-1:2', '', JSON.stringify({ personId: 'p-3', deviceId: 'till-1', error: 'exceeds_offline_allowance' }), Date.now()]);
  });
}

describe('canteen pages and the cashier\'s top-up in Chromium (hub on SQLite)', () => {
  const backend = backends[0][1]();
  let harness: ConsoleHarness;
  let canteen: HarnessCanteen;
  let browser: LaunchedChromium;
  let page: Page;

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, `canteen-${name}.png`), await page.screenshot({ fullPage: true }));
  }

  async function signIn(username: string): Promise<void> {
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  }

  const balance = async (): Promise<number | null> => (await canteen.ledger.ledger.account(personAccount(CHILD)))?.balanceTiyn ?? null;

  beforeAll(async () => {
    await backend.start();
    harness = await ConsoleHarness.start(backend, { canteen: true });
    canteen = harness.canteen ?? (() => { throw new Error('no canteen'); })();
    await seedMeals(canteen);
    await harness.account('director', 'director');
    await harness.account('cashier', 'canteen');
    await harness.account('teacher5a', 'class_teacher', '5А');
    await harness.account('tech', 'technician');
    browser = await launchChromium({ width: 1280, height: 900 });
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await backend.stop();
  });

  it('a cashier\'s top-up applies once however often its form is sent, and is reversed by a correction', async () => {
    await signIn('cashier');
    expect(new URL(page.url()).pathname).toBe('/console/canteen');
    await page.goto(`${harness.url}/console/canteen/topup?person=${CHILD}`);
    await page.fill('input[name=amount]', '1 500,50');
    await page.fill('input[name=reference]', 'R-0001');
    await screenshot('topup-form');
    const transferId = await page.inputValue('input[name=transferId]');
    expect(transferId).toMatch(/^console:[0-9a-f-]{36}$/);
    // The browser's retry of the same form (a lost answer), twice, from the page itself...
    const statuses = await page.evaluate(async () => {
      const form = document.querySelector('#topup-form') as HTMLFormElement;
      const send = (): Promise<number> => fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form) as unknown as Record<string, string>), redirect: 'manual' }).then((r) => r.status);
      return Promise.all([send(), send()]);
    });
    expect(statuses.every((s) => s === 0 || s === 303)).toBe(true); // an opaque redirect reads as 0
    // ...and a double click on the button.
    await Promise.all([page.waitForURL(/\/console\/canteen\/statement/), page.dblclick('#topup-form button[type=submit]')]);
    expect(await page.locator('#topup-again').count()).toBe(1);
    expect(await balance()).toBe(150_050);
    const statement = await canteen.ledger.ledger.statement(personAccount(CHILD), 0, 100);
    expect(statement?.entries.map((e) => [e.transferId, e.amountTiyn, e.balanceAfterTiyn])).toEqual([[transferId, 150_050, 150_050]]);
    expect(await page.locator('#balance').getAttribute('data-tiyn')).toBe('150050');
    await screenshot('statement');

    // A new form is a new transfer; a bad amount is refused with nothing applied.
    await page.goto(`${harness.url}/console/canteen/topup?person=${CHILD}`);
    await page.fill('input[name=amount]', '12.345');
    await Promise.all([page.waitForNavigation(), page.click('#topup-form button[type=submit]')]);
    expect(await page.locator('#topup-problem').count()).toBe(1);
    await page.fill('input[name=amount]', '200');
    await Promise.all([page.waitForURL(/done=topup/), page.click('#topup-form button[type=submit]')]);
    expect(await balance()).toBe(170_050);

    // The first top-up reversed from the statement: a correction, shown, the money back in the till's cash.
    await Promise.all([page.waitForURL(/done=reversed/), page.click(`tr[data-transfer="${transferId}"] button`)]);
    expect(await balance()).toBe(20_000);
    expect(await page.locator(`tr[data-transfer="reversal:${transferId}"][data-kind="correction"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-transfer="${transferId}"] button`).count()).toBe(0);
    const cashier = await ConsoleClient.signIn(harness.url, 'cashier', PASSWORD);
    const again = await cashier.postForm('/console/canteen/reverse', { transferId, person: CHILD });
    expect(again.status).toBe(303);
    expect(await balance()).toBe(20_000);
    const audit = await (await consoleStoreFor(harness.storage)).auditOf(harness.accounts.get('cashier')?.id ?? '', 0, Date.now() + 1, 1000);
    const topUps = audit.filter((r) => r.action === 'canteen.topup');
    // Every submission is audited; two applied (the first form once, the second form), the rest duplicates.
    expect(topUps.filter((r) => r.detail.status === 'applied').map((r) => r.detail.amountTiyn)).toEqual([150_050, 20_000]);
    expect(topUps.filter((r) => r.detail.transferId === transferId).length).toBeGreaterThanOrEqual(3);
    expect(audit.filter((r) => r.action === 'canteen.topup.reverse').map((r) => r.detail.status)).toEqual(['applied', 'duplicate']);
  }, 60_000);

  it('the director sees today\'s counts and the flags, resolves one, and downloads the report', async () => {
    await signIn('director');
    await page.goto(`${harness.url}/console/canteen`);
    expect(await page.locator('#counts tr[data-period="lunch"] td').allTextContents()).toEqual(['2', '1', '600.00', '1200.00']);
    expect(await page.locator('#flags tr[data-state="open"]').count()).toBe(2);
    await screenshot('overview');
    const first = page.locator('#flags tr[data-state="open"]').first();
    const flagId = await first.getAttribute('data-flag');
    await first.locator('input[name=note]').fill('supplier told; one meal refunded');
    await Promise.all([page.waitForURL(/done=resolved/), first.locator('button').click()]);
    expect(await page.locator(`#flags tr[data-flag="${flagId ?? ''}"]`).getAttribute('data-state')).toBe('resolved');
    expect(await page.locator(`#flags tr[data-flag="${flagId ?? ''}"]`).textContent()).toContain('supplier told');
    await screenshot('flag-resolved');
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    expect((await director.postForm(`/console/canteen/flags/${flagId ?? ''}/resolve`, { note: 'again' })).headers.get('location')).toContain('done=already');
    const csv = await director.get(`/console/canteen/report?month=${TODAY.slice(0, 7)}&format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toContain('Қуаныш Өмірзақов');
    const xlsx = await director.get(`/console/canteen/report?month=${TODAY.slice(0, 7)}&format=xlsx`);
    expect(Buffer.from(await xlsx.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    await page.goto(`${harness.url}/console/canteen/statement?person=${CHILD}`);
    expect(await page.locator('#statement tbody tr').count()).toBe(3);
    expect(await page.locator('#topup-child').count()).toBe(0); // the director reads, the cashier takes money
    const audit = await (await consoleStoreFor(harness.storage)).auditOf(harness.accounts.get('director')?.id ?? '', 0, Date.now() + 1, 1000);
    expect(audit.filter((r) => r.action === 'canteen.flag.resolve').map((r) => r.detail.outcome)).toEqual(['resolved', 'already_resolved']);
    expect(audit.some((r) => r.action === 'canteen.report.export')).toBe(true);
  }, 60_000);

  it('the menu is saved only when valid, and the register upload names its bad lines', async () => {
    await page.goto(`${harness.url}/console/canteen/menu`);
    expect(await page.locator('#menu-unset').count()).toBe(1);
    await page.fill('textarea[name=document]', JSON.stringify({ ...MENU, menu: [{ ...MENU.menu[0], priceTiyn: 1.5 }] }));
    await Promise.all([page.waitForNavigation(), page.click('#menu-form button[type=submit]')]);
    expect(await page.locator('#menu-problem').textContent()).toMatch(/menu\.0\.priceTiyn/);
    expect(await canteen.meals.settings.menu()).toBeNull();
    await page.fill('textarea[name=document]', JSON.stringify(MENU));
    await Promise.all([page.waitForNavigation(), page.click('#menu-form button[type=submit]')]);
    expect(await page.locator('#menu-saved').count()).toBe(1);
    expect(await page.locator('#menu tr[data-item="set-1"] td').nth(2).textContent()).toBe('600.00');
    await screenshot('menu');

    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    const upload = async (csv: string, skipBad: boolean): Promise<Response> => {
      const form = new FormData();
      form.set('_csrf', await director.csrf('/console/canteen/register'));
      if (skipBad) form.set('skipBad', '1');
      form.set('file', new Blob([csv], { type: 'text/csv' }), 'register.csv');
      return fetch(`${harness.url}/console/canteen/register`, { method: 'POST', redirect: 'manual', headers: { cookie: director.cookie, origin: harness.url }, body: form });
    };
    const bad = await upload('person_id,category,periods\np-2,large_family,lunch\np-404,orphan,lunch\n', false);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/data-line="3"/);
    expect((await canteen.meals.settings.register(null)).entries).toEqual([]);
    expect((await upload('person_id,category,periods\np-2,large_family,lunch\np-404,orphan,lunch\n', true)).status).toBe(200);
    await page.goto(`${harness.url}/console/canteen/register`);
    expect(await page.locator('#register tr[data-person="p-2"]').count()).toBe(1);
    await screenshot('register');
  }, 60_000);

  it('a class teacher and a technician get 403 on every canteen page and form', async () => {
    const pages = ['/console/canteen', '/console/canteen/topup', `/console/canteen/statement?person=${CHILD}`, `/console/canteen/report?month=${TODAY.slice(0, 7)}&format=csv`, '/console/canteen/menu', '/console/canteen/register'];
    const before = await canteen.ledger.ledger.account(personAccount(CHILD));
    for (const username of ['teacher5a', 'tech']) {
      const client = await ConsoleClient.signIn(harness.url, username, PASSWORD);
      for (const path of pages) {
        const response = await client.get(path);
        expect(response.status, `${username} GET ${path}`).toBe(403);
        const html = await response.text();
        if (username === 'tech') for (const part of NAME_PARTS) expect(html).not.toContain(part);
      }
      const posts: Array<[string, Record<string, string>]> = [
        ['/console/canteen/topup', { transferId: 'console:00000000-0000-4000-8000-000000000000', person: CHILD, amount: '100', reference: '' }],
        ['/console/canteen/reverse', { transferId: 'x', person: CHILD }],
        ['/console/canteen/flags/2/resolve', { note: 'x' }],
        ['/console/canteen/menu', { document: JSON.stringify(MENU) }],
      ];
      for (const [path, fields] of posts) expect((await client.postForm(path, fields)).status, `${username} POST ${path}`).toBe(403);
      expect(await (await client.get('/console/password')).text()).not.toContain('/console/canteen');
    }
    expect(await canteen.ledger.ledger.account(personAccount(CHILD))).toEqual(before);
    expect((await canteen.meals.store.flagResolutions(0, 100)).has(2)).toBe(false);
    await signIn('tech');
    await page.goto(`${harness.url}/console/canteen`);
    await screenshot('technician-403');
  }, 60_000);
});
