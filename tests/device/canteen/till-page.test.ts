// The canteen operator's page in Chromium, over a real kiosk store: a card typed by the wedge
// reader shows the diner (name as consent allows, class), entitlement, allergy blocks, balance and
// the day's limit left, and the proposed meal; the operator changes the tray and confirms, and the
// page says "Served" with the committed event's seq; a free child's second lunch is refused; a
// presentation at the kiosk's own reader appears by itself and can be cancelled. Each served meal's
// ESC/POS receipt reaches the printer's device file (here a plain file: the bytes are checked);
// a printer that is absent fails in its status and changes nothing about the serving.
// Screenshot in artifacts/canteen.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CanteenTill, DeviceFileTransport, ReceiptPrinter, receiptFor, registerTillPage, type TillPresentation } from '../../../device/canteen/index.js';
import { OriginPolicy } from '../../../device/security/origin.js';
import { safeWriteFile } from '../../../lib/index.js';
import { launchChromium, type LaunchedChromium } from '../../../scripts/chromium.js';
import type { Store } from '../../../sync/store/index.js';
import { openKioskStore, tempDir } from '../../sync/helpers.js';
import { ALL_DAY, card, directoryOf, diners, FREE_CHILD, PAYING_CHILD } from './till-fixtures.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../../artifacts/canteen');
const CARDS = new Map([['AA01', FREE_CHILD], ['BB02', PAYING_CHILD]]);
const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };

describe('canteen till page', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let store: Store;
  let till: CanteenTill;
  let app: FastifyInstance;
  let chromium: LaunchedChromium;
  let page: Page;
  let url = '';
  let printerFile = '';
  let printer: ReceiptPrinter;

  beforeAll(async () => {
    tmp = await tempDir('esik-till-page-');
    store = await openKioskStore(join(tmp.dir, 'till.db'), 'till-1', randomBytes(32).toString('hex'));
    till = new CanteenTill({ till: 'till-1', deviceId: 'till-1', events: store.events, directory: directoryOf(diners(Date.now() - 1000)), context: ALL_DAY, clock, staleAfterMs: 60_000 });
    await till.start();
    printerFile = join(tmp.dir, 'lp0');
    await writeFile(printerFile, '');
    printer = new ReceiptPrinter(new DeviceFileTransport(printerFile), { columns: 42 });
    app = Fastify();
    await registerTillPage(app, {
      till, origins: new OriginPolicy(), admit: () => true,
      identify: (value): TillPresentation => ({ diner: CARDS.get(value.toUpperCase()) ?? null, credential: { kind: 'card', ref: value } }),
      onServed: (served) => printer.print(receiptFor(served)),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    chromium = await launchChromium({ width: 1280, height: 800 });
    page = await chromium.context.newPage();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
    await store?.close();
    await tmp?.cleanup();
  });

  async function present(value: string): Promise<void> {
    await page.fill('#card', value);
    await page.press('#card', 'Enter'); // the wedge reader's Enter
    await page.waitForFunction(() => document.getElementById('card') instanceof HTMLInputElement && (document.getElementById('card') as HTMLInputElement).value === '');
  }

  it('shows the diner and the meal, changes the tray, confirms after the meal is recorded, prints the receipt', async () => {
    await page.goto(`${url}/canteen`);
    await present('bb02');
    await page.waitForFunction(() => document.getElementById('name')?.textContent === 'Dias K.');
    expect(await page.textContent('#group')).toBe('6А');
    expect(await page.textContent('#entitlement')).toBe('paid');
    expect(await page.textContent('#allergens')).toBe('nuts');
    expect(await page.textContent('#balance')).toBe('1200.00 ₸');
    expect(await page.textContent('#limit')).toBe('1500.00 ₸');
    expect(await page.textContent('#order')).toBe('1 × Lunch set');
    expect(await page.textContent('#decision')).toBe('To pay: 950.00 ₸');
    await page.click('#choices button[data-item="juice"]');
    await page.waitForFunction(() => document.getElementById('decision')?.textContent === 'To pay: 300.00 ₸');
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, 'till.png'), await page.screenshot({ fullPage: true }));
    await page.click('#confirm');
    await page.waitForFunction(() => document.getElementById('result')?.textContent?.startsWith('Served'));
    const [meal] = (await store.events.since(0, 100)).filter((e) => e.type === 'canteen.meal');
    expect(await page.textContent('#result')).toBe(`Served (#${meal?.seq})`);
    expect(meal).toMatchObject({ personId: 'p-pay', door: 'till-1', data: { chargeTiyn: 30_000, subsidyTiyn: 0, free: false, items: [{ itemId: 'juice', quantity: 1 }] } });

    await printer.idle();
    const bytes = await readFile(printerFile);
    expect([...bytes.subarray(0, 2)]).toEqual([0x1b, 0x40]); // ESC @: initialise
    expect(bytes.includes(Buffer.from('TOTAL: 300.00 KZT'))).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x56]))).toBe(true); // GS V: cut
    expect(printer.status()).toMatchObject({ printed: 1, failed: 0 });
  }, 60_000);

  it('serves one free lunch and refuses the second; a reader presentation appears and can be cancelled', async () => {
    await present('AA01');
    await page.waitForFunction(() => document.getElementById('decision')?.textContent === 'Free meal');
    expect(await page.textContent('#entitlement')).toBe('free');
    await page.click('#confirm');
    await page.waitForFunction(() => document.getElementById('result')?.textContent?.startsWith('Served'));
    await present('AA01');
    await page.waitForFunction(() => document.getElementById('decision')?.textContent === 'Free meal already served this period');
    expect(await page.isDisabled('#confirm')).toBe(true);

    // The kiosk's own reader (a face, a palm, a HID card) proposes; the page polls and shows it.
    till.present(card(PAYING_CHILD));
    await page.waitForFunction(() => document.getElementById('name')?.textContent === 'Dias K.');
    await page.click('#cancel');
    await page.waitForFunction(() => document.getElementById('result')?.textContent === 'Cancelled');
    expect(till.current()).toBeNull();
    expect((await store.events.since(0, 100)).filter((e) => e.type === 'canteen.meal')).toHaveLength(2);
  }, 60_000);

  it('serves while the printer is absent, and refuses a cross-site POST', async () => {
    const absent = new ReceiptPrinter(new DeviceFileTransport(join(tmp.dir, 'no-such-dir', 'lp0')), { columns: 42 });
    // 1,200 ₸ less the 300 ₸ juice leaves 900 ₸: the 950 ₸ lunch is refused; a juice is served.
    const view = till.present(card(PAYING_CHILD));
    expect(view).toMatchObject({ balanceTiyn: 90_000, decision: { outcome: 'refuse', reason: 'insufficient_balance' } });
    till.choose(view.proposalId, [{ itemId: 'juice', quantity: 1 }]);
    const served = await till.confirm(view.proposalId);
    expect(served.status).toBe('served');
    if (served.status === 'served') absent.print(receiptFor(served));
    await absent.idle();
    expect(absent.status()).toMatchObject({ printed: 0, failed: 1 });
    expect(absent.status().lastError).toContain('ENOENT');
    expect((await store.events.since(0, 100)).filter((e) => e.type === 'canteen.meal')).toHaveLength(3);

    const crossSite = await fetch(`${url}/canteen/api/present`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ card: 'BB02' }) });
    expect(crossSite.status).toBe(403);
    const bad = await fetch(`${url}/canteen/api/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"proposalId":"not-a-uuid"}' });
    expect(bad.status).toBe(400);
  });
});
