// The librarian's console pages over HTTP from a real hub serving its library, on SQLite and
// PostgreSQL: the catalogue uploaded as a file (bad rows listed by line, nothing written; then with
// "skip", the good rows), loans from two desks through the hub's ingest folded by the library's own
// folder (a double loan of one copy, an overdue loan), the reports page equal to hub/library's
// libraryReport with the borrowers' names, a copy by barcode with its loans, the double-loan flag
// marked resolved once (audited). A technician and a class teacher get 403 on every page and post,
// with no name in the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStoreFor } from '../../hub/console/index.js';
import { libraryReport } from '../../hub/library/index.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';
import { CATALOGUE, lendBooks, uploadCatalogue } from './console-insight-fixture.js';

function rows(html: string, table: string, attribute: string): Map<string, string[]> {
  const section = html.slice(html.indexOf(`<table id="${table}"`));
  const found = new Map<string, string[]>();
  for (const match of section.slice(0, section.indexOf('</table>')).matchAll(new RegExp(`<tr ${attribute}="([^"]+)"[^>]*>(.*?)</tr>`, 'g'))) {
    found.set(match[1] ?? '', [...(match[2] ?? '').matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => (c[1] ?? '').replace(/<[^>]+>/g, '')));
  }
  return found;
}

describe.each(backends)('the librarian\'s console pages on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend, { library: true });
    await harness.account('librarian', 'librarian');
    await harness.account('director', 'director');
    await harness.account('tech', 'technician');
    await harness.account('teacher5a', 'class_teacher', '5А');
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  it('uploads the catalogue: bad rows listed by line and nothing written, then the good rows with "skip"', async () => {
    const librarian = await ConsoleClient.signIn(harness.url, 'librarian', PASSWORD);
    const refused = await uploadCatalogue(librarian, CATALOGUE, false);
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect([...rows(html, 'catalogue-errors', 'data-line').keys()]).toEqual(['5', '6']);
    expect(await harness.library?.store.counts()).toEqual({ titles: 0, copies: 0 });
    const done = await uploadCatalogue(librarian, CATALOGUE, true);
    expect(done.status).toBe(200);
    expect(await done.text()).toMatch(/id="catalogue-done" data-copies="4" data-skipped="2"/);
    expect(await harness.library?.store.counts()).toEqual({ titles: 3, copies: 4 });
    const store = await consoleStoreFor(harness.storage);
    const audits = (await store.auditOf(harness.accounts.get('librarian')?.id ?? '', 0, Date.now() + 1, 100)).filter((r) => r.action.startsWith('library.import'));
    expect(audits.map((r) => [r.action, r.detail.lines])).toEqual([['library.import.refused', [5, 6]], ['library.import', [5, 6]]]);
  });

  it('shows the reports with names, equal to the library\'s own report; a copy with its loans', async () => {
    await lendBooks(harness);
    const librarian = await ConsoleClient.signIn(harness.url, 'librarian', PASSWORD);
    const response = await fetch(`${harness.url}/console/library`, { headers: { cookie: `${librarian.cookie}; esik_lang=en` } });
    expect(response.status).toBe(200);
    const html = await response.text();
    const library = harness.library;
    if (!library) throw new Error('no library');
    const report = await libraryReport(library.store, harness.storage, { nowMs: Date.now(), utcOffsetMinutes: 300, sinceMs: 0, top: 10 });
    const overdue = rows(html, 'library-overdue', 'data-loan');
    expect([...overdue.values()]).toEqual(report.overdueByClass.flatMap((g) => g.loans.map((l) => [g.group, l.borrowerId === 'p-1' ? 'Әсел Ғалымова' : '?', l.copyId, '2026-01-10'])));
    expect([...overdue.values()].map((r) => r[2]).sort()).toEqual(['L-1', 'L-3']);
    expect([...rows(html, 'library-per-class', 'data-class').entries()]).toEqual(report.loansPerClass.map((r) => [r.group, [r.group, String(r.loans)]]));
    expect(report.loansPerClass).toEqual([{ group: '5А', loans: 2 }, { group: '6Б', loans: 2 }]);
    expect([...rows(html, 'library-most-read', 'data-title').values()]).toEqual(report.mostRead.map((r) => [r.title, String(r.loans)]));
    const copy = await (await fetch(`${harness.url}/console/library/copies?barcode=L-1`, { headers: { cookie: `${librarian.cookie}; esik_lang=en` } })).text();
    const loans = [...rows(copy, 'copy-loans', 'data-loan').values()];
    expect(loans.map((l) => [l[0], l[1], l[5]])).toEqual([['Әсел Ғалымова', 'desk-a', 'double loan'], ['Іңкәр Һадиева', 'desk-b', 'double loan']]);
    expect((await librarian.get('/console/library/copies?barcode=NO-SUCH')).status).toBe(404);
  });

  it('marks the double-loan flag resolved once, audited', async () => {
    const librarian = await ConsoleClient.signIn(harness.url, 'librarian', PASSWORD);
    const before = rows(await (await librarian.get('/console/library/flags')).text(), 'library-flags', 'data-flag');
    expect([...before.values()].map((r) => r[0])).toEqual(['double_loan']);
    const id = [...before.keys()][0] ?? '';
    const posted = await librarian.postForm(`/console/library/flags/${id}/resolve`, {});
    expect(posted.status).toBe(303);
    const after = await (await librarian.get('/console/library/flags')).text();
    expect(after).toContain(`data-flag="${id}" data-kind="double_loan" data-resolved="yes"`);
    expect(after).toContain('librarian');
    expect((await librarian.postForm(`/console/library/flags/${id}/resolve`, {})).status).toBe(303);
    expect((await librarian.postForm('/console/library/flags/999999/resolve', {})).status).toBe(404);
    expect((await harness.library?.store.flags(0, 10))?.map((f) => [f.resolvedBy, f.resolvedMs !== null])).toEqual([['librarian', true]]);
    const store = await consoleStoreFor(harness.storage);
    const audits = (await store.auditOf(harness.accounts.get('librarian')?.id ?? '', 0, Date.now() + 1, 100)).filter((r) => r.action === 'library.flag.resolve');
    expect(audits.map((r) => [r.subject, r.detail.outcome])).toEqual([[`library.flag:${id}`, 'resolved'], [`library.flag:${id}`, 'already']]);
  });

  it('refuses a technician and a class teacher everywhere, with no name; the director may', async () => {
    for (const username of ['tech', 'teacher5a']) {
      const client = await ConsoleClient.signIn(harness.url, username, PASSWORD);
      for (const path of ['/console/library', '/console/library/copies?barcode=L-1', '/console/library/flags', '/console/library/import']) {
        const refused = await client.get(path);
        expect(refused.status, path).toBe(403);
        const text = await refused.text();
        for (const name of ['Ғалымова', 'Һадиева', 'Абай жолы']) expect(text).not.toContain(name);
      }
      expect((await client.postForm('/console/library/flags/1/resolve', {})).status).toBe(403);
      expect((await uploadCatalogue(client, CATALOGUE, true)).status).toBe(403);
    }
    const director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    expect((await director.get('/console/library')).status).toBe(200);
    const store = await consoleStoreFor(harness.storage);
    const denied = (await store.auditOf(harness.accounts.get('tech')?.id ?? '', 0, Date.now() + 1, 100)).filter((r) => r.action === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(6);
  });
});
