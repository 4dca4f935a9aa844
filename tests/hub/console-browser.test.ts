// The school console in real headless Chromium (Debian's chromium through playwright-core) against a
// real hub on a real socket, on SQLite and on PostgreSQL: login; 5 wrong passwords lock and the 6th
// attempt, right password and all, is refused until a director unlocks; a class teacher sees only
// their class and gets 403 on another's URL; nothing a technician's browser receives carries a
// pupil's name; a cross-site POST is refused (the session cookie rides along: SameSite does not
// separate two ports of one host, the Origin check and the CSRF token do); sessions survive a hub
// restart and logout revokes them. Screenshots of the main pages go to artifacts/console/.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page, Response } from 'playwright-core';
import { safeWriteFile } from '../../lib/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, NAME_PARTS, PASSWORD, PUPILS } from './console-harness.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../artifacts/console');
const KK = { wrong: 'Пайдаланушы аты немесе құпиясөз қате.', locked: 'Тіркелгі 5 қате құпиясөзден кейін бұғатталды. Директордан бұғатты ашуды сұраңыз.' };

describe.each(backends)('console in Chromium on %s', (backendName, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let browser: LaunchedChromium;
  let page: Page;

  async function login(username: string, password = PASSWORD): Promise<Response | null> {
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    return response;
  }

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, `${backendName}-${name}.png`), await page.screenshot({ fullPage: true }));
  }

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.account('director', 'director');
    await harness.account('teacher5a', 'class_teacher', '5А');
    await harness.account('tech', 'technician');
    browser = await launchChromium({ width: 1280, height: 800 });
    page = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await backend?.stop();
  });

  beforeEach(async () => {
    await browser.context.clearCookies();
  });

  it('login works, with HttpOnly SameSite=Strict cookies, and shows today by class', async () => {
    await page.goto(`${harness.url}/console/`);
    expect(page.url()).toBe(`${harness.url}/console/login`);
    await screenshot('login');
    const response = await login('director');
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${harness.url}/console/attendance`);
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'esik_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    const row = (group: string): Promise<string[]> => page.$$eval(`#attendance tr[data-class="${group}"] > *`, (cells) => cells.map((c) => c.textContent ?? ''));
    expect(await row('5А')).toEqual(['5А', '3', '1', '1', '1']);
    expect(await row('6Б')).toEqual(['6Б', '2', '1', '1', '0']);
    await screenshot('attendance');
    await page.click('a[lang=ru]');
    expect(await page.textContent('header h1')).toBe('Консоль школы');
    await page.click('a[lang=en]');
    expect(await page.textContent('main h2')).toBe('Attendance today');
    await page.click('a[href^="/console/classes/"]');
    expect(await page.$$eval('#class tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.mark))).toEqual(['present', 'late', 'absent']);
    await screenshot('class');
    await page.setViewportSize({ width: 390, height: 844 }); // a teacher's phone
    await screenshot('class-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('a[lang=kk]');
  });

  it('locks after 5 wrong passwords; the 6th attempt with the right one is refused until a director unlocks', async () => {
    await harness.account('locky', 'librarian');
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await login('locky', `wrong password ${attempt}`);
      expect(response?.status()).toBe(attempt < 5 ? 401 : 423);
      expect(await page.textContent('#login-error')).toBe(attempt < 5 ? KK.wrong : KK.locked);
    }
    const sixth = await login('locky', PASSWORD);
    expect(sixth?.status()).toBe(423);
    expect(await page.textContent('#login-error')).toBe(KK.locked);
    expect((await browser.context.cookies()).some((c) => c.name === 'esik_console')).toBe(false);

    await login('director');
    await page.goto(`${harness.url}/console/accounts`);
    await screenshot('accounts');
    await Promise.all([page.waitForNavigation(), page.click('tr[data-username="locky"] button')]);
    expect(await page.$('tr[data-username="locky"] button')).toBeNull();
    await browser.context.clearCookies();
    expect((await login('locky'))?.status()).toBe(200);
    expect(page.url()).toBe(`${harness.url}/console/home`);
  });

  it('a class teacher sees only their class, and gets 403 for another class by URL', async () => {
    await login('teacher5a');
    expect(decodeURIComponent(page.url())).toBe(`${harness.url}/console/classes/5А`);
    const names = await page.$$eval('#class tbody td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(names.sort()).toEqual(PUPILS.filter((p) => p.group === '5А').map((p) => p.name).sort());
    const other = await page.goto(`${harness.url}/console/classes/${encodeURIComponent('6Б')}`);
    expect(other?.status()).toBe(403);
    for (const p of PUPILS.filter((p) => p.group === '6Б')) expect(await other?.text()).not.toContain(p.name);
    expect((await page.goto(`${harness.url}/console/attendance`))?.status()).toBe(403);
    expect((await page.goto(`${harness.url}/console/audit/export?account=director&from=2026-01-01&to=2030-01-01`))?.status()).toBe(403);
  });

  it('nothing a technician receives carries a pupil name', async () => {
    // Every response goes through this route, which reads its body before the page gets it.
    const bodies: Array<{ url: string; body: string }> = [];
    await page.route(`${harness.url}/**`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const body = await response.body();
      bodies.push({ url: route.request().url(), body: body.toString('utf8') });
      await route.fulfill({ response, body });
    });
    await login('tech');
    expect(page.url()).toBe(`${harness.url}/console/devices`);
    expect(await page.textContent('#devices tr[data-device="kiosk-1"]')).toContain('kiosk-1');
    await screenshot('devices');
    for (const path of ['/console/attendance', `/console/classes/${encodeURIComponent('5А')}`, '/console/accounts', '/console/audit', '/console/home']) {
      const response = await page.goto(`${harness.url}${path}`);
      expect(response?.status(), path).toBe(path === '/console/home' ? 200 : 403);
    }
    await page.goto(`${harness.url}/console/devices`);
    await page.unroute(`${harness.url}/**`);
    expect(bodies.filter((b) => b.body.length > 0).length).toBeGreaterThanOrEqual(8);
    for (const { url, body } of bodies) for (const part of NAME_PARTS) expect(body.includes(part), `${part} in ${url}`).toBe(false);
  });

  it('refuses a cross-site POST, with the session cookie and all; same origin without the CSRF token too', async () => {
    await login('director');
    const attacker: Server = createServer((_request, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="post" action="${harness.url}/console/accounts"><input name="username" value="evil"><input name="displayName" value="Evil">` +
        `<input name="role" value="director"><input name="password" value="a long enough evil password"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    try {
      const port = (attacker.address() as { port: number }).port;
      const [response] = await Promise.all([page.waitForNavigation({ url: `${harness.url}/**` }), page.goto(`http://127.0.0.1:${port}/`)]);
      expect(response?.status()).toBe(403);
    } finally {
      attacker.close();
    }
    await page.goto(`${harness.url}/console/accounts`);
    const post = (withToken: boolean, username: string): Promise<number> =>
      page.evaluate(async ({ withToken, username }) => {
        const token = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value;
        const body = new URLSearchParams({ username, displayName: username, role: 'technician', password: 'a long enough good password' });
        if (withToken) body.set('_csrf', token);
        return (await fetch('/console/accounts', { method: 'POST', body })).status;
      }, { withToken, username });
    expect(await post(false, 'notoken')).toBe(403);
    expect(await post(true, 'withtoken')).toBe(200); // the control: the same request with its token passes
    const { consoleStoreFor } = await import('../../hub/console/index.js');
    const store = await consoleStoreFor(harness.storage);
    expect(await store.accountByName('evil')).toBeNull();
    expect(await store.accountByName('notoken')).toBeNull();
    expect(await store.accountByName('withtoken')).not.toBeNull();
  });

  it('keeps a session across a hub restart; logout revokes it, also for a replayed cookie', async () => {
    await login('director');
    const before = (await browser.context.cookies()).find((c) => c.name === 'esik_console');
    await harness.restart();
    expect((await page.goto(`${harness.url}/console/attendance`))?.status()).toBe(200);
    expect(page.url()).toBe(`${harness.url}/console/attendance`);
    await Promise.all([page.waitForNavigation(), page.click('form.logout button')]);
    expect(page.url()).toBe(`${harness.url}/console/login`);
    if (!before) throw new Error('no session cookie');
    await browser.context.addCookies([{ ...before }]);
    await page.goto(`${harness.url}/console/attendance`);
    expect(page.url()).toBe(`${harness.url}/console/login`);
  });
});
