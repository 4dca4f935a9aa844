// The parents' page in real headless Chromium (Debian's chromium through playwright-core) at a phone's
// viewport (390x844), against a real hub with the notifier on a real socket, the Telegram emulator
// and SQLite or PostgreSQL. A guardian links through the bot, gets a page link from the bot's /page,
// sees the child's arrival, withdraws consent to notices (the hub then plans nothing more for the
// child and cancels a queued notice) and to recognition (the roster's flag, for the kiosks), requests
// the child's data (a know request in the privacy register) and sets quiet hours. An expired link, a
// tampered one, a form without the link's form token and a cross-site post are refused and show no
// data. Screenshots go to artifacts/parent/.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSqliteMealStore, pgMealStore, type MealStore } from '../../hub/canteen/index.js';
import { openLibrary, type OpenedLibrary } from '../../hub/library/index.js';
import { hashPageToken } from '../../hub/notify/index.js';
import { PgDb } from '../../hub/pg-db.js';
import { privacyServiceFor } from '../../hub/privacy/index.js';
import { safeWriteFile } from '../../lib/index.js';
import { wireEventSchema } from '../../protocol/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { silentLogger } from '../sync/helpers.js';
import { person } from './backends.js';
import { BOT_TOKEN, passage, startEmulator, until, type Emulator } from './notify-helpers.js';
import { notifyDb, startNotifyHub, type NotifyDb, type NotifyHub } from './notify-fixture.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../artifacts/parent');
const KID = 'kid-aigerim';
const OTHER = 'kid-other';
const CHAT = 701;
const PUBLIC_URL = 'https://hub.school.example';

describe.each(['sqlite', 'postgres'] as const)('parents page in Chromium (%s)', (backend) => {
  let db: NotifyDb;
  let tg: Emulator;
  let hub: NotifyHub;
  let library: OpenedLibrary;
  let meals: MealStore;
  let browser: LaunchedChromium;
  let page: Page;
  let guardianId = '';
  let pagePath = '';
  let seq = 0;

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, `${backend}-${name}.png`), await page.screenshot({ fullPage: true }));
  }

  /** Stores a passage and waits until the notifier's planner has read past it. */
  async function pushAndPlan(personId: string, direction: 'in' | 'out'): Promise<string> {
    const event = passage(++seq, personId, direction);
    await hub.storage.ingest('kiosk-1', [{ event }], null, null, Date.now());
    const last = (await hub.storage.readEvents(0, 10_000)).lastHubSeq ?? 0;
    await until(async () => (await hub.store.cursor()) >= last, 8_000, 'the planner to read the passage');
    return event.id;
  }

  beforeAll(async () => {
    db = await notifyDb(backend);
    tg = await startEmulator();
    const { storage, store, location } = await db.open();
    await storage.applyRoster([person(KID, { name: 'Aigerim Serikova', group: '5А' }), person(OTHER, { name: 'Other Child', group: '5А' })]);
    // A book lent to the child at the library desk, folded by the hub: the page lists it.
    library = await openLibrary(location, storage, silentLogger);
    await library.store.saveRows([{ line: 2, title: { id: 'local:abai', isbn13: null, title: 'Қара сөздер', author: 'Абай', year: 1918 }, copy: { barcode: 'BOOK-7', titleId: 'local:abai', readingRoomOnly: false, status: 'available' } }], Date.now());
    const loan = wireEventSchema.parse({
      id: '0190a3b2-0000-7000-8000-000000000007', seq: 1, type: 'library.loan', at: new Date().toISOString(), wallMs: Date.now(), timeTrusted: true, bootId: 'desk-boot',
      monoMs: 1000, door: 'library', direction: null, personId: KID, credential: { kind: 'card', ref: 'card-kid' }, reason: null,
      data: { copyId: 'BOOK-7', titleId: null, dueDate: '2026-12-20', renewals: 0, loanEventId: null },
    });
    await storage.ingest('desk-1', [{ event: loan }], null, null, Date.now());
    await library.folder.catchUp();
    // A lunch the canteen served today (written as the canteen's fold writes it): the page lists it.
    meals = backend === 'sqlite' ? await openSqliteMealStore(location) : pgMealStore(PgDb.open(location, silentLogger, 1, 'esik-test-meals'));
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now());
    await meals.driver.write((sql) => sql.query(
      `INSERT INTO canteen_meals (event_id, device_id, hub_seq, person_id, day, period_id, free, free_category, charge_tiyn, subsidy_tiyn, served_ms, conflict)
       VALUES ($1, 'till-1', 1, $2, $3, 'lunch', 0, NULL, 45000, 0, $4, 0)`, ['meal-1', KID, today, Date.now()]));
    hub = await startNotifyHub(storage, store, { telegram: { token: BOT_TOKEN, apiRoot: tg.apiRoot }, pageUrl: PUBLIC_URL }, { library: { store: library.store, folder: library.folder }, meals });
    const added = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'kk' });
    guardianId = String(added.body.guardianId);
    await tg.say(CHAT, `/start ${String(added.body.code)}`);
    await tg.waitFor(CHAT, 1);
    browser = await launchChromium({ width: 390, height: 844 });
    page = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await library?.close();
    await meals?.close();
    await hub?.storage.close();
    await hub?.store.close();
    await tg?.stop();
    await db?.stop();
  });

  it('the bot gives a linked chat a page link; the page shows the arrival by first name only', async () => {
    await pushAndPlan(KID, 'in');
    const [, arrival] = await tg.waitFor(CHAT, 2);
    expect(arrival).toContain('Aigerim');
    await tg.say(9999, '/page');
    expect((await tg.waitFor(9999, 1))[0]).not.toContain(PUBLIC_URL);
    await tg.say(CHAT, '/page');
    const reply = (await tg.waitFor(CHAT, 3))[2] ?? '';
    const match = new RegExp(`${PUBLIC_URL}(/parent/[A-Za-z0-9_-]{43})`).exec(reply);
    expect(match).not.toBeNull();
    pagePath = match?.[1] ?? '';

    const response = await page.goto(`${hub.url}${pagePath}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'none'");
    expect(response?.headers()['cache-control']).toBe('no-store');
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    expect(await page.textContent(`section[data-child="${KID}"] h2`)).toBe('Aigerim');
    const rows = await page.$$eval('table.passages tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual([expect.stringMatching(/^\d\d:\d\d$/) as unknown as string, 'main', 'Кіру']);
    const text = (await page.textContent('body')) ?? '';
    expect(text).not.toContain('Serikova');
    expect(text).not.toContain('5А');
    expect(text).not.toContain('Other');
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.$$eval('ul.loans li', (items) => items.map((li) => li.textContent))).toEqual(['Қара сөздер 2026-12-20 дейін қайтару']);
    expect(await page.$$eval('ul.meals li', (items) => items.map((li) => li.textContent))).toEqual(['lunch 450.00 ₸']);
    await screenshot('page');
  });

  it('withdrawing consent to notices stops them: nothing more is planned and a queued notice is cancelled', async () => {
    await page.goto(`${hub.url}${pagePath}`);
    await Promise.all([page.waitForURL(/done=withdrawn/), page.click('li[data-purpose="notices"] button')]);
    expect(await page.getAttribute('li[data-purpose="notices"]', 'data-held')).toBe('false');
    expect(await page.textContent('p.flash')).toBe('Келісім кері қайтарылды.');
    await screenshot('withdrawn');
    expect(await hub.store.noticesWithdrawn([KID])).toEqual(new Set([KID]));

    const before = tg.sent(CHAT).length;
    const departure = await pushAndPlan(KID, 'out');
    expect((await hub.store.outbox()).filter((row) => row.payload.eventId === departure)).toEqual([]);
    // A notice planned before the withdrawal (written here as the planner would have) is cancelled, not sent.
    const queued = { ...passage(++seq, KID, 'in'), personId: KID };
    const key = `${queued.id}:${guardianId}:telegram`;
    await hub.store.addRows([{ key, guardianId, channel: 'telegram', payload: { kind: 'arrival', eventId: queued.id, personId: KID, firstName: 'Aigerim', at: queued.at, door: 'main' } }], Date.now());
    hub.notifier.poke();
    await until(async () => (await hub.store.outbox()).find((row) => row.key === key)?.state === 'cancelled', 8_000, 'the queued notice to be cancelled');
    await new Promise((r) => setTimeout(r, 500));
    expect(tg.sent(CHAT)).toHaveLength(before);
  });

  it('withdrawing consent to recognition clears the roster flag the kiosks purge by', async () => {
    await Promise.all([page.waitForURL(/done=withdrawn/), page.click('li[data-purpose="identification"] button')]);
    expect(await page.getAttribute('li[data-purpose="identification"]', 'data-held')).toBe('false');
    const entity = await hub.storage.rosterEntity('person', KID);
    expect(entity?.op === 'upsert' && entity.type === 'person' && entity.data.biometricConsent).toBe(false);
  });

  it('a data request lands in the privacy register with its deadline', async () => {
    await Promise.all([page.waitForURL(/done=requested/), page.click(`section[data-child="${KID}"] form[action$="/data-request"] button`)]);
    const privacy = await privacyServiceFor(hub.storage, { now: Date.now });
    const requests = (await privacy?.list(null, false, 100)) ?? [];
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ kind: 'know', personId: KID, requester: `guardian ${guardianId}`, status: 'open' });
    expect(await page.textContent('p.flash')).toContain(requests[0]?.deadline ?? 'no deadline');
    await screenshot('requested');
  });

  it('quiet hours set on the page or with the bot\'s /quiet are the guardian\'s', async () => {
    await page.fill('input[name=start]', '22:00');
    await page.fill('input[name=end]', '07:00');
    await Promise.all([page.waitForURL(/done=quiet/), page.click('form.quiet button')]);
    expect((await hub.store.guardian(guardianId))?.quiet).toEqual({ start: '22:00', end: '07:00' });
    const before = tg.sent(CHAT).length;
    await tg.say(CHAT, '/quiet 21:30 6:45');
    expect((await tg.waitFor(CHAT, before + 1)).at(-1)).toBe('Тыныш сағаттар: 21:30–06:45. Бұл уақыттағы хабарламалар кейін келеді.');
    expect((await hub.store.guardian(guardianId))?.quiet).toEqual({ start: '21:30', end: '06:45' });
  });

  it('refuses an expired link, a tampered one, a form without its token and a cross-site post, showing no data', async () => {
    const expiredToken = 'E'.repeat(43);
    await hub.store.addPageLink({ hash: hashPageToken(expiredToken), guardianIds: [guardianId], formToken: 'f'.repeat(32), expiresMs: Date.now() - 1000, createdMs: Date.now() - 90_000_000 });
    const expired = await page.goto(`${hub.url}/parent/${expiredToken}`);
    expect(expired?.status()).toBe(410);
    expect(await page.textContent('p.error')).toBe('This link has expired. Send /page to the bot for a new one.');
    expect(await page.textContent('body')).not.toContain('Aigerim');
    await screenshot('expired');

    const tampered = `${pagePath.slice(0, -1)}${pagePath.endsWith('A') ? 'B' : 'A'}`;
    const refused = await page.goto(`${hub.url}${tampered}`);
    expect(refused?.status()).toBe(404);
    expect(await page.textContent('body')).not.toContain('Aigerim');

    const post = (origin: string | null, form: string): Promise<Response> => fetch(`${hub.url}${pagePath}/withdraw`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin === null ? {} : { origin }) },
      body: new URLSearchParams({ form, child: KID, purpose: 'board' }).toString(),
    });
    expect((await post(hub.url, 'not-the-form-token')).status).toBe(403);
    expect((await post('https://evil.example', 'x')).status).toBe(403);
    expect((await post(null, 'x')).status).toBe(403);
    const entity = await hub.storage.rosterEntity('person', KID);
    expect(entity?.op === 'upsert' && entity.type === 'person' && entity.data.displayConsent).toBe('short');

    // Longer than any token: refused by the page (404), or by fastify's parameter limit (414) before it.
    expect((await page.goto(`${hub.url}/parent/${'x'.repeat(80)}`))?.status()).toBe(404);
    expect((await page.goto(`${hub.url}/parent/${'x'.repeat(200)}`))?.status()).toBe(414);
    expect(await page.textContent('body')).not.toContain('Aigerim');

    // Form posts are limited per address (10 a minute): a flood is refused with 429 before its form is looked at.
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post(hub.url, 'x')).status);
    expect(statuses).toContain(429);
    expect(statuses.slice(statuses.indexOf(429))).toEqual(Array.from({ length: 12 - statuses.indexOf(429) }, () => 429));
  });

  it('the school makes a link with the admin token; once the guardian is unlinked the link opens nothing', async () => {
    expect((await fetch(`${hub.url}/v1/admin/notify/guardians/${guardianId}/page-link`, { method: 'POST' })).status).toBe(401);
    const made = await hub.admin('POST', `/v1/admin/notify/guardians/${guardianId}/page-link`);
    expect(made.status).toBe(201);
    expect(String(made.body.path)).toMatch(/^\/parent\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(String(made.body.expiresAt)) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const opened = await fetch(`${hub.url}${String(made.body.path)}`);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('Aigerim');

    expect((await hub.admin('DELETE', `/v1/admin/notify/guardians/${guardianId}`)).status).toBe(200);
    for (const path of [String(made.body.path), pagePath]) {
      const refused = await fetch(`${hub.url}${path}`);
      expect(refused.status).toBe(404);
      expect(await refused.text()).not.toContain('Aigerim');
    }
    expect((await hub.admin('POST', `/v1/admin/notify/guardians/${guardianId}/page-link`)).status).toBe(404);
  });
});
