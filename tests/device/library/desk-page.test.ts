// The librarian's page in Chromium, served over a real kiosk store: a card and a scan lend a book
// (the scanner's Enter submits), the borrower's loans and the overdue list show, a reading-room copy
// and an ISBN instead of the copy's label are refused with their texts, a return clears the loan.
// A cross-site POST and a client the desk does not admit are refused. Screenshot in artifacts/library.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibraryDesk, registerDeskPage, type Borrower, type LibraryContext, type LibraryCopy } from '../../../device/library/index.js';
import { OriginPolicy } from '../../../device/security/origin.js';
import { safeWriteFile } from '../../../lib/index.js';
import { launchChromium, type LaunchedChromium } from '../../../scripts/chromium.js';
import type { Store } from '../../../sync/store/index.js';
import { openKioskStore, tempDir } from '../../sync/helpers.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../../artifacts/library');
const DAY = 86_400_000;
const CONTEXT: LibraryContext = {
  rules: [{ id: 'pupils', roles: ['student'], groups: ['*'], maxLoans: 3, loanDays: 14, maxRenewals: 1 }],
  blockLoansWhileOverdue: false, renewOverdue: false, openWeekdays: [1, 2, 3, 4, 5, 6, 7], closedDates: new Set(),
};
const copies = new Map<string, LibraryCopy>(
  ['BOOK-1', 'BOOK-9', 'REF-1'].map((id) => [id, { id, titleId: `t-${id}`, readingRoomOnly: id.startsWith('REF'), status: 'available' }]),
);
const cards = new Map<string, Borrower>([
  ['0A11C0DE', { id: 'p-1007', role: 'student', group: '5Б', status: 'active' }],
  ['04A2B924', { id: 'p-1008', role: 'student', group: '6А', status: 'active' }],
]);

describe('librarian page', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let store: Store;
  let app: FastifyInstance;
  let closed: FastifyInstance;
  let chromium: LaunchedChromium;
  let page: Page;
  let url = '';
  let shiftMs = 0;
  const clock = { wallMs: () => Date.now() + shiftMs, trusted: () => true, utcOffsetMinutes: () => 300 };

  beforeAll(async () => {
    tmp = await tempDir('esik-desk-page-');
    store = await openKioskStore(join(tmp.dir, 'desk.db'), 'desk-1', randomBytes(32).toString('hex'));
    const desk = new LibraryDesk({ desk: 'library', events: store.events, catalogue: { copy: (b) => copies.get(b) ?? null }, context: CONTEXT, clock });
    await desk.start();
    // A month ago the other pupil took BOOK-9 and never brought it back.
    shiftMs = -30 * DAY;
    expect((await desk.scan({ action: 'loan', borrower: cards.get('04A2B924') ?? null, barcode: 'BOOK-9', credential: null })).decision.outcome).toBe('loan');
    shiftMs = 0;
    const options = { desk, identify: (card: string) => cards.get(card.toUpperCase()) ?? null, origins: new OriginPolicy() };
    app = Fastify();
    await registerDeskPage(app, { ...options, admit: () => true });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    closed = Fastify();
    await registerDeskPage(closed, { ...options, admit: () => false });
    await closed.ready();
    chromium = await launchChromium({ width: 1280, height: 800 });
    page = await chromium.context.newPage();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
    await closed?.close();
    await store?.close();
    await tmp?.cleanup();
  });

  async function scanInto(barcode: string, button?: 'return' | 'renew'): Promise<string> {
    const before = await page.textContent('#result');
    await page.fill('#barcode', barcode);
    if (button) await page.click(`#${button}`);
    else await page.press('#barcode', 'Enter'); // the scanner's Enter
    await page.waitForFunction((old) => document.getElementById('result')?.textContent !== old, before);
    return (await page.textContent('#result')) ?? '';
  }

  it('lends, refuses with reasons, lists loans and overdue books, takes a book back', async () => {
    await page.goto(`${url}/library`);
    await page.fill('#card', '0a11c0de');
    const due = new Date(Date.now() + 300 * 60_000 + 14 * DAY).toISOString().slice(0, 10);
    expect(await scanInto('BOOK-1')).toBe(`Lent until ${due}`);
    await page.waitForSelector('#loans tbody tr');
    expect(await page.textContent('#loans tbody')).toContain('BOOK-1');
    expect(await page.textContent('#borrower')).toBe('(p-1007)');
    expect(await page.textContent('#overdue tbody')).toContain('BOOK-9');
    expect(await scanInto('REF-1')).toBe('Reading room only');
    expect(await scanInto('BOOK-9')).toBe('This copy is already on loan');
    expect(await scanInto('978-0-306-40615-7')).toBe("That is the ISBN: scan the copy's own label");
    expect(await scanInto('9780306406158')).toBe('Scan not read: scan again');
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, 'desk.png'), await page.screenshot({ fullPage: true }));
    expect(await scanInto('BOOK-9', 'return')).toBe('Returned, 16 days late');
    expect(await scanInto('BOOK-1', 'return')).toBe('Returned');
    await page.waitForFunction(() => document.querySelectorAll('#overdue tbody tr').length === 0);
    expect(await page.locator('#loans tbody tr').count()).toBe(0);
  }, 60_000);

  it('refuses a cross-site POST and a client the desk does not admit', async () => {
    const crossSite = await fetch(`${url}/library/api/scan`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ action: 'loan', card: '0A11C0DE', barcode: 'BOOK-1' }),
    });
    expect(crossSite.status).toBe(403);
    expect((await closed.inject({ method: 'GET', url: '/library/api/overdue' })).statusCode).toBe(403);
    expect((await fetch(`${url}/library/api/scan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"steal","barcode":"x"}' })).status).toBe(400);
  });
});
