// Loans as events, through the hub's real HTTP push API, on SQLite and PostgreSQL: two desks lend
// the same copy while one of them is offline; when both have synced, the fold keeps both loans,
// marks them and raises one double_loan flag, never merging them. A desk's loan and return pushed
// together are one closed interval, so a later loan elsewhere is not a conflict. Retried pushes and
// a second hub process folding at the same time change nothing. The import route checks the token
// before reading a body and bounds it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHub } from '../../hub/index.js';
import { libraryReport, LoanFolder, MAX_IMPORT_BYTES, UNKNOWN_KEY, type LoanFlag, type LoanRecord } from '../../hub/library/index.js';
import { ean13CheckDigit } from '../../lib/index.js';
import { adminCall, pushEvents, registerDevice, silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';
import { libraryBackends, type LibraryBackend, type LibraryHandle } from './library-backends.js';

const MINUTE = 60_000;
const ISBN = `978601000001${ean13CheckDigit('978601000001')}`;
const BAD_ISBN = `978601000001${(ean13CheckDigit('978601000001') + 1) % 10}`;
const BASE = Date.now() - 6 * 60 * MINUTE;

interface Desk {
  id: string;
  token: string;
  seq: number;
}

function libraryEvent(desk: Desk, type: string, personId: string, copyId: string, atMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  desk.seq += 1;
  return {
    id: randomUUID(), seq: desk.seq, type, at: new Date(atMs).toISOString(), wallMs: atMs, timeTrusted: true, bootId: `${desk.id}-boot`,
    monoMs: 1000 + desk.seq, door: 'library', direction: null, personId, credential: { kind: 'card', ref: `card-${personId}` }, reason: null,
    data: { copyId, titleId: null, dueDate: type === 'library.return' ? null : '2026-12-20', renewals: 0, loanEventId: null, ...extra },
  };
}

async function csvImport(url: string, csv: string, token: string | null, query = ''): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const response = await fetch(`${url}/v1/admin/library/import${query}`, {
    method: 'POST', body: csv, headers: { 'content-type': 'text/csv', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  }).catch((error: unknown) => ({ status: -1, text: () => Promise.resolve(String(error)) }));
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe.each(libraryBackends)('library loans through the hub: %s', (_name, makeBackend) => {
  const backend: LibraryBackend = makeBackend();
  let handle: LibraryHandle;
  let app: FastifyInstance;
  let url = '';
  const hub = (): { url: string; adminToken: string } => ({ url, adminToken: TEST_ADMIN_TOKEN });

  beforeAll(async () => {
    await backend.start();
    handle = await backend.open();
    const folder = new LoanFolder(handle.storage, handle.library, silentLogger);
    app = await buildHub({ storage: handle.storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, library: { store: handle.library, folder } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await handle?.close();
    await backend.stop();
  });

  it('checks the token before the body, bounds the body, and writes nothing from a file with errors', async () => {
    const huge = 'a'.repeat(MAX_IMPORT_BYTES + 1024);
    expect((await csvImport(url, huge, null)).status).toBe(401);
    expect((await csvImport(url, huge, TEST_ADMIN_TOKEN)).status).toBe(413);
    const bad = await csvImport(url, `barcode,isbn,title\nBOOK-1,${BAD_ISBN},Абай жолы\nBOOK-2,,Қыз Жібек\n`, TEST_ADMIN_TOKEN);
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ imported: false, errorCount: 1, errors: [{ line: 2 }] });
    expect(await handle.library.counts()).toEqual({ titles: 0, copies: 0 });
    const good = await csvImport(url, `barcode,isbn,title\nBOOK-1,${ISBN},Абай жолы\nBOOK-2,,Қыз Жібек\nBOOK-3,,Ер Төстік\n`, TEST_ADMIN_TOKEN);
    expect(good).toMatchObject({ status: 200, json: { imported: true, copies: 3 } });
  });

  it('flags a copy loaned at two desks while one was offline, keeps both loans, and folds each event once', async () => {
    const deskA: Desk = { id: 'desk-a', token: await registerDevice(hub(), 'desk-a'), seq: 0 };
    const deskB: Desk = { id: 'desk-b', token: await registerDevice(hub(), 'desk-b'), seq: 0 };

    // Desk A is online: BOOK-1 to Aigerim, pushed at once.
    const loanA = libraryEvent(deskA, 'library.loan', 'p-1', 'BOOK-1', BASE);
    expect((await pushEvents(hub(), deskA.id, deskA.token, { events: [loanA] })).status).toBe(200);
    const fold = async (): Promise<void> => void expect((await adminCall(hub(), 'POST', '/v1/admin/library/fold', {})).status).toBe(200);
    await fold();
    // Desk B is offline: it lends BOOK-1 to Dias ten minutes later, and BOOK-3 to Dias after A's BOOK-3 came back.
    const loanB = libraryEvent(deskB, 'library.loan', 'p-2', 'BOOK-1', BASE + 10 * MINUTE);
    const loanB3 = libraryEvent(deskB, 'library.loan', 'p-2', 'BOOK-3', BASE + 120 * MINUTE);
    const loanB2 = libraryEvent(deskB, 'library.loan', 'p-2', 'BOOK-2', BASE + 121 * MINUTE);
    // Desk A, offline too for a while: BOOK-3 lent and returned before B lent it. Pushed after B's batch.
    const loanA3 = libraryEvent(deskA, 'library.loan', 'p-1', 'BOOK-3', BASE + 30 * MINUTE);
    const returnA3 = libraryEvent(deskA, 'library.return', 'p-1', 'BOOK-3', BASE + 90 * MINUTE, { loanEventId: loanA3.id });
    const bBatch = { events: [loanB, loanB3, loanB2] };
    expect((await pushEvents(hub(), deskB.id, deskB.token, bBatch)).json).toMatchObject({ accepted: [loanB.id, loanB3.id, loanB2.id] });
    // The hub folds B's batch before A's arrives: A's BOOK-3 loan must then be judged with its return.
    await fold();
    expect((await pushEvents(hub(), deskA.id, deskA.token, { events: [loanA3, returnA3] })).status).toBe(200);
    // A lost answer: desk B sends its batch again.
    expect((await pushEvents(hub(), deskB.id, deskB.token, bBatch)).json).toMatchObject({ duplicates: [loanB.id, loanB3.id, loanB2.id] });

    await fold();
    const flags = (await adminCall(hub(), 'GET', '/v1/admin/library/flags')).json.flags as LoanFlag[];
    expect(flags).toHaveLength(1);
    const [first, second] = [loanA.id as string, loanB.id as string].sort();
    expect(flags[0]).toMatchObject({ kind: 'double_loan', copyId: 'BOOK-1', eventId: first, otherEventId: second });
    expect((flags[0]?.detail.devices as string[]).sort()).toEqual(['desk-a', 'desk-b']);

    const book1 = (await adminCall(hub(), 'GET', '/v1/admin/library/copies/BOOK-1')).json as { loans: LoanRecord[] };
    expect(book1.loans.map((l) => [l.eventId, l.borrowerId, l.deviceId, l.conflict, l.returnedMs])).toEqual([
      [loanA.id, 'p-1', 'desk-a', true, null],
      [loanB.id, 'p-2', 'desk-b', true, null],
    ]);
    const book3 = await handle.library.loansOfCopy('BOOK-3');
    expect(book3.map((l) => [l.eventId, l.conflict, l.returnedMs])).toEqual([
      [loanA3.id, false, BASE + 90 * MINUTE],
      [loanB3.id, false, null],
    ]);
    expect((await handle.library.openLoans('p-2')).map((l) => l.copyId).sort()).toEqual(['BOOK-1', 'BOOK-2', 'BOOK-3']);

    // Aigerim brings BOOK-1 back at desk A: her loan closes, Dias's stays open and flagged.
    const back = libraryEvent(deskA, 'library.return', 'p-1', 'BOOK-1', BASE + 200 * MINUTE, { loanEventId: loanA.id });
    expect((await pushEvents(hub(), deskA.id, deskA.token, { events: [back] })).status).toBe(200);
    // Two hub processes fold at once: the cursor moves once, nothing is written twice.
    const twin = await backend.reopen(handle);
    try {
      const otherFolder = new LoanFolder(handle.storage, twin, silentLogger);
      await Promise.all([otherFolder.catchUp(), adminCall(hub(), 'POST', '/v1/admin/library/fold', {}), otherFolder.catchUp()]);
    } finally {
      await twin.close();
    }
    expect(await handle.library.flags(0, 100)).toHaveLength(1);
    const after = await handle.library.loansOfCopy('BOOK-1');
    expect(after.map((l) => [l.borrowerId, l.returnedMs === null])).toEqual([['p-1', false], ['p-2', true]]);
    expect(await handle.library.cursor()).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('flags returns of copies not on loan and loans of copies not in the catalogue, and goes on', async () => {
    const desk: Desk = { id: 'desk-c', token: await registerDevice(hub(), 'desk-c'), seq: 0 };
    const stray = libraryEvent(desk, 'library.return', 'p-3', 'BOOK-2-X', BASE + 300 * MINUTE);
    const unknown = libraryEvent(desk, 'library.loan', 'p-3', 'NOT-IN-CATALOGUE', BASE + 301 * MINUTE);
    const garbledBase = libraryEvent(desk, 'library.loan', 'p-3', 'BOOK-2', BASE + 302 * MINUTE);
    const garbled = { ...garbledBase, data: { copyId: 'no spaces allowed' } };
    const fine = libraryEvent(desk, 'library.renew', 'p-2', 'BOOK-2', BASE + 303 * MINUTE, { renewals: 1, dueDate: '2027-01-10' });
    expect((await pushEvents(hub(), desk.id, desk.token, { events: [stray, unknown, garbled, fine] })).json).toMatchObject({ rejected: [] });
    await adminCall(hub(), 'POST', '/v1/admin/library/fold', {});
    const flags = await handle.library.flags(1, 100);
    expect(flags.map((f) => [f.kind, f.eventId])).toEqual([
      ['return_without_loan', stray.id],
      ['unknown_copy', unknown.id],
      ['invalid_event', garbledBase.id],
    ]);
    expect((await handle.library.loansOfCopy('BOOK-2'))[0]).toMatchObject({ dueDate: '2027-01-10', renewals: 1 });
  }, 30_000);

  it('reports loans per class, overdue by class and the most-read titles', async () => {
    await handle.storage.applyRoster([
      { op: 'upsert', type: 'person', data: { id: 'p-1', name: 'Aigerim S', shortName: null, group: '5Б', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' } },
      { op: 'upsert', type: 'person', data: { id: 'p-2', name: 'Dias K', shortName: null, group: '6А', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' } },
    ]);
    // Christmas: every open loan due on the 20th is overdue; BOOK-2 was renewed to January.
    const report = await libraryReport(handle.library, handle.storage, { nowMs: Date.UTC(2026, 11, 25), utcOffsetMinutes: 300, sinceMs: 0, top: 2 });
    expect(report.today).toBe('2026-12-25');
    expect(report.loansPerClass).toEqual([
      { group: UNKNOWN_KEY, loans: 1 },
      { group: '5Б', loans: 2 },
      { group: '6А', loans: 3 },
    ].sort((a, b) => a.group.localeCompare(b.group)));
    expect(report.overdueByClass.map((g) => [g.group, g.loans.map((l) => l.copyId).sort()])).toEqual([
      [UNKNOWN_KEY, ['NOT-IN-CATALOGUE']],
      ['6А', ['BOOK-1', 'BOOK-3']],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    expect(report.mostRead.map((t) => [t.title, t.loans]).sort()).toEqual([['Абай жолы', 2], ['Ер Төстік', 2]]);
    const http = await adminCall(hub(), 'GET', '/v1/admin/library/reports?top=5');
    expect(http.status).toBe(200);
    expect(http.json.mostRead).toHaveLength(3);
    expect((await fetch(`${url}/v1/admin/library/reports`)).status).toBe(401);
  });
});
