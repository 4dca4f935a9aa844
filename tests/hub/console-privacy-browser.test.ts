// Consent records and data-subject requests in the console, in real headless Chromium (Debian's
// chromium through playwright-core) against a real hub on SQLite (ConsoleHarness) and a real kiosk
// process (`esik run`, simulated door) syncing from it every second. A director records a
// guardian's consent for a pupil, then its withdrawal for identification: the hub's templates of the
// pupil become tombstones, the kiosk's roster loses them (its /v1/status template count), and the
// pupil's consent page shows the kiosk's acknowledgement of the purge. A destroy request registered
// on the page is carried out and closed once the kiosk has pulled past it, and its page shows the
// destruction record with the kiosk's acknowledgement. A request received long ago is highlighted as
// overdue; a request to know answers with a download. A class teacher and a technician get 403 on
// every one of these pages and forms, and the technician's responses carry no pupil's name. Every
// action is in the console's audit. A flag changed outside the records (the parents' page clears it
// without one) is pointed out on the consent page. Screenshots go to artifacts/console/.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { consoleStoreFor, peopleStoreFor } from '../../hub/console/index.js';
import { encodeTemplateVector } from '../../protocol/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { safeWriteFile } from '../../lib/index.js';
import { daemonDir, repoRoot, type DaemonDir } from '../device/daemon.js';
import { startKioskChild, waitFor, type KioskChild } from '../fault/helpers.js';
import { backends } from './backends.js';
import { ConsoleHarness, NAME_PARTS, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

const ARTIFACTS = resolve(repoRoot, 'artifacts/console');
const DEVICE_TOKEN = 'device-token-for-console-tests';
/** p-1 (Әсел Ғалымова, 5А) and p-2 of the harness's school; each gets a guardian and a face template. */
const CHILD = 'p-1';
const DESTROYED = 'p-2';
const vector = (seed: number): string => encodeTemplateVector(Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 1.37 + seed) * 0.31 + 0.0123));

describe('consent and data-subject request pages in Chromium, with a real kiosk (hub on SQLite)', () => {
  const backend = backends[0][1]();
  let harness: ConsoleHarness;
  let kioskDir: DaemonDir;
  let kiosk: KioskChild;
  let browser: LaunchedChromium;
  let page: Page;
  let director: ConsoleClient;

  const kioskTemplates = async (): Promise<number> => ((await adminRequest(kioskDir.socketPath, 'GET', '/v1/status')) as { roster: { templates: number } }).roster.templates;

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, `privacy-${name}.png`), await page.screenshot({ fullPage: true }));
  }

  async function submit(selector: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  beforeAll(async () => {
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    const people = await peopleStoreFor(harness.storage);
    const details = (id: string, iin: string) => ({ personId: id, iin, surname: 'Ғалымова', givenName: 'Әсел', patronymic: null, birthDate: '2015-01-01' });
    await people.save([details(CHILD, '150101600001'), details(DESTROYED, '150101500002')], [{ id: 'g-1', name: 'Гүлнар Ғалымова', phone: '+77010000001' }, { id: 'g-2', name: 'Бауыржан Өмірзақов', phone: '+77010000002' }], [{ guardianId: 'g-1', childId: CHILD }, { guardianId: 'g-2', childId: DESTROYED }], true, Date.now());
    await harness.storage.applyRoster([
      { op: 'upsert', type: 'template', data: { id: 't-p1', personId: CHILD, modality: 'face', algo: 'faceapi-resnet128-v1', data: vector(1) } },
      { op: 'upsert', type: 'template', data: { id: 't-p2', personId: DESTROYED, modality: 'face', algo: 'faceapi-resnet128-v1', data: vector(2) } },
    ]);
    await harness.account('director', 'director');
    await harness.account('teacher5a', 'class_teacher', '5А');
    await harness.account('tech', 'technician');
    director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    kioskDir = await daemonDir({});
    const tokenFile = join(kioskDir.dir, 'device.token');
    await writeFile(tokenFile, `${DEVICE_TOKEN}\n`, { mode: 0o600 });
    await writeFile(kioskDir.configFile, JSON.stringify({
      ...(JSON.parse(await readFile(kioskDir.configFile, 'utf8')) as Record<string, unknown>),
      device: { id: 'kiosk-1', stateDir: join(kioskDir.dir, 'state') },
      sync: { url: harness.url, tokenFile, intervalMs: 1000 },
    }));
    kiosk = await startKioskChild(kioskDir.configFile, kioskDir.socketPath);
    await waitFor('both templates on the kiosk', async () => ((await kioskTemplates()) === 2 ? true : undefined), 60_000, 500).catch((error: unknown) => {
      throw new Error(`${String(error)}; kiosk said:\n${kiosk.output().slice(-3000)}`);
    });
    browser = await launchChromium({ width: 1280, height: 900 });
    page = await browser.context.newPage();
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', 'director');
    await page.fill('input[name=password]', PASSWORD);
    await submit('button[type=submit]');
    await page.click('a[lang=en]');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await kiosk?.kill();
    await harness?.stop();
    await backend.stop();
    await kioskDir?.cleanup();
  });

  it('records a guardian\'s consent for both purposes, shown in the state and the history', async () => {
    await page.goto(`${harness.url}/console/people/classes/5А`);
    await submit(`tr[data-person="${CHILD}"] a.consent`);
    expect(page.url()).toBe(`${harness.url}/console/people/${CHILD}/consent`);
    await page.selectOption('select[name=action]', 'grant');
    await page.selectOption('select[name=guardianId]', 'g-1');
    await page.selectOption('select[name=channel]', 'paper');
    await page.check('input[name=purposes][value=identification]');
    await page.check('input[name=purposes][value=board]');
    await page.fill('input[name=until]', '2099-05-31');
    await page.fill('input[name=note]', 'form 12');
    await submit('#consent-form button[type=submit]');
    expect(await page.textContent('#consent-message')).toContain('Recorded');
    expect(await page.$$eval('#consent-state tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.state))).toEqual(['given', 'given']);
    const rows = await page.$$eval('#consent-history tbody tr', (trs) => trs.map((r) => ({ action: (r as HTMLElement).dataset.action, text: r.textContent ?? '' })));
    expect(rows).toEqual([{ action: 'grant', text: expect.stringContaining('Гүлнар Ғалымова') }]);
    expect(rows[0]?.text).toContain('2099-05-31');
    await screenshot('consent-granted');
  });

  it('withdrawing identification purges the templates on the hub and the kiosk, and the page shows the kiosk\'s acknowledgement', async () => {
    await page.selectOption('select[name=action]', 'withdraw');
    await page.selectOption('select[name=channel]', 'in_person');
    await page.check('input[name=purposes][value=identification]');
    await submit('#consent-form button[type=submit]');
    expect(await page.$eval('#consent-state tr[data-purpose=identification]', (r) => (r as HTMLElement).dataset.state)).toBe('withdrawn');
    expect(await page.$eval('#consent-state tr[data-purpose=board]', (r) => (r as HTMLElement).dataset.state)).toBe('given');
    expect((await harness.storage.rosterEntity('template', 't-p1'))?.op).toBe('delete');
    expect((await harness.storage.rosterEntity('template', 't-p2'))?.op).toBe('upsert');
    await waitFor('the template gone on the kiosk', async () => ((await kioskTemplates()) === 1 ? true : undefined), 20_000, 250);
    const ack = 'tr[data-action=withdraw] li[data-device="kiosk-1"]';
    await waitFor('the kiosk\'s acknowledgement on the page', async () => {
      await page.reload();
      return (await page.$eval(ack, (li) => (li as HTMLElement).dataset.done)) === 'true' ? true : undefined;
    }, 20_000, 500);
    expect(await page.textContent(ack)).toContain('applied');
    await screenshot('consent-withdrawn');
    const audit = await (await consoleStoreFor(harness.storage)).auditOf(harness.accounts.get('director')?.id ?? '', 0, Date.now() + 1, 1000);
    expect(audit.filter((r) => r.subject === `person:${CHILD}`).map((r) => r.action)).toEqual(expect.arrayContaining(['consent.grant', 'consent.withdraw', 'view.consent']));
  }, 60_000);

  it('says so when the kiosks\' flag was changed outside the records (as the parents\' page does)', async () => {
    const current = await harness.storage.rosterEntity('person', CHILD);
    if (current?.op !== 'upsert' || current.type !== 'person') throw new Error('no person');
    await harness.storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...current.data, displayConsent: 'none' } }]);
    await page.reload();
    expect(await page.$eval('#consent-state tr[data-purpose=board]', (r) => `${(r as HTMLElement).dataset.state ?? ''} ${(r as HTMLElement).dataset.flag ?? ''}`)).toBe('given false');
    expect(await page.$('#consent-state tr[data-purpose=board] [data-mismatch=true]')).not.toBeNull();
    expect(await page.$('#consent-state tr[data-purpose=identification] [data-mismatch]')).toBeNull();
  });

  it('a destroy request registered on the page ends in a destruction record with the kiosk\'s acknowledgement', async () => {
    await page.goto(`${harness.url}/console/privacy`);
    await page.selectOption('select[name=kind]', 'destroy');
    await page.selectOption('select[name=personId]', DESTROYED);
    await page.fill('input[name=requester]', 'Бауыржан, the father');
    await page.selectOption('select[name=channel]', 'letter');
    await submit('#request-form button[type=submit]');
    expect(await page.textContent('#flash')).toContain('registered');
    expect(await page.$eval('#request', (t) => (t as HTMLElement).dataset.status)).toBe('open');
    await screenshot('request-registered');
    await submit('#execute-form button');
    expect(await page.$eval('#record tr[data-key=destroyed]', (r) => r.textContent)).toBeTruthy();
    expect(await page.$eval('#record tr[data-key=templates] td', (td) => td.textContent)).toBe('1');
    expect(await page.$eval('#record tr[data-key=templates] th', (th) => th.textContent)).toBe('templates deleted');
    await waitFor('the template gone on the kiosk', async () => ((await kioskTemplates()) === 0 ? true : undefined), 20_000, 250);
    await waitFor('the request closed on the kiosk\'s acknowledgement', async () => {
      const closeButton = await page.$('#close-form button');
      if (closeButton) await submit('#close-form button');
      return (await page.$eval('#request', (t) => (t as HTMLElement).dataset.status)) === 'closed' ? true : undefined;
    }, 20_000, 500);
    expect(await page.$$eval('#acks tbody tr', (rows) => rows.map((r) => [(r as HTMLElement).dataset.device, (r as HTMLElement).dataset.done]))).toEqual([['kiosk-1', 'true']]);
    expect(await page.textContent('main h2')).toContain(DESTROYED);
    await screenshot('destruction-record');
    expect(await harness.storage.rosterEntity('person', DESTROYED)).toMatchObject({ op: 'delete' });
  }, 60_000);

  it('highlights an overdue request in the list, and a request to know answers with a download', async () => {
    const registered = await director.postForm('/console/privacy', { kind: 'know', personId: 'p-3', requester: 'Ұлжан\'s mother', channel: 'email', receivedOn: '2026-09-01', note: '' });
    expect(registered.status).toBe(303);
    const id = /\/console\/privacy\/([0-9a-f-]{36})/.exec(registered.headers.get('location') ?? '')?.[1] ?? '';
    await page.goto(`${harness.url}/console/privacy`);
    const row = `tr[data-request="${id}"]`;
    expect(await page.$eval(row, (r) => `${(r as HTMLElement).dataset.overdue ?? ''} ${r.className}`)).toBe('true overdue');
    expect(await page.$eval(row, (r) => getComputedStyle(r.querySelector('td') as Element).backgroundColor)).toBe('rgb(253, 232, 232)');
    expect(await page.$$eval('tr.overdue', (rows) => rows.length)).toBe(1);
    await screenshot('requests-overdue');
    await page.click('a[lang=kk]');
    expect(await page.textContent('main h2')).toBe('Деректер туралы сұраулар');
    expect(await page.textContent(`${row} .overdue-flag`)).toBe('мерзімі өткен');
    await screenshot('requests-overdue-kk');
    await page.click('a[lang=en]');
    await page.click(`${row} a`);
    await page.waitForSelector('#overdue');
    await submit('#execute-form button');
    expect(await page.$eval('#request', (t) => (t as HTMLElement).dataset.status)).toBe('closed');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const answer = JSON.parse(await readFile(await download.path(), 'utf8')) as { personId: string; items: Array<{ kind: string }> };
    expect(answer.personId).toBe('p-3');
    expect(answer.items.length).toBeGreaterThan(0);
  }, 60_000);

  it('a class teacher and a technician get 403 on every page and form, and the technician sees no name', async () => {
    const requests = await director.get('/console/privacy');
    const someId = /data-request="([0-9a-f-]{36})"/.exec(await requests.text())?.[1] ?? '';
    for (const username of ['teacher5a', 'tech']) {
      const client = await ConsoleClient.signIn(harness.url, username, PASSWORD);
      for (const path of ['/console/privacy', `/console/privacy/${someId}`, `/console/privacy/${someId}/export`, `/console/people/${CHILD}/consent`]) {
        const response = await client.get(path);
        expect(response.status, `${username} GET ${path}`).toBe(403);
        const html = await response.text();
        if (username === 'tech') for (const part of NAME_PARTS) expect(html).not.toContain(part);
      }
      const token = await client.csrf();
      for (const path of ['/console/privacy', `/console/privacy/${someId}/execute`, `/console/privacy/${someId}/close`, `/console/people/${CHILD}/consent`]) {
        const response = await fetch(`${harness.url}${path}`, {
          method: 'POST', redirect: 'manual', headers: { cookie: client.cookie, origin: harness.url, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: token, kind: 'destroy', personId: 'p-3', requester: 'x', channel: 'other', receivedOn: '2026-12-01', action: 'withdraw', guardianId: 'g-1', purposes: 'board', givenOn: '2026-12-01' }).toString(),
        });
        expect(response.status, `${username} POST ${path}`).toBe(403);
      }
      // The teacher's home has no link to the pages either.
      expect(await (await client.get('/console/password')).text()).not.toContain('/console/privacy');
    }
    // The director's own form without its CSRF token is refused too, and registers nothing.
    const before = (await (await director.get('/console/privacy')).text()).match(/data-request=/g)?.length ?? 0;
    const forged = await fetch(`${harness.url}/console/privacy`, {
      method: 'POST', redirect: 'manual', headers: { cookie: director.cookie, origin: harness.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ kind: 'destroy', personId: 'p-3', requester: 'x', channel: 'other', receivedOn: '2026-12-01' }).toString(),
    });
    expect(forged.status).toBe(403);
    expect((await (await director.get('/console/privacy')).text()).match(/data-request=/g)?.length ?? 0).toBe(before);
    const store = await consoleStoreFor(harness.storage);
    const denied = await store.auditOf(harness.accounts.get('teacher5a')?.id ?? '', 0, Date.now() + 1, 1000);
    expect(denied.filter((r) => r.action === 'denied').length).toBeGreaterThanOrEqual(8);
    // Nothing was registered or withdrawn by the refused posts.
    expect((await harness.storage.rosterEntity('person', 'p-3'))).toMatchObject({ op: 'upsert' });
  }, 60_000);
});
