// Two library desks, each a real kiosk store (SQLite) with the desk station, lend the same copy
// while neither has synced; their sync clients then push through the hub's HTTP API (an in-process
// hub with the library). Every loan reaches the hub exactly once however often the desks sync, the
// hub's fold keeps both loans and flags the double loan, and a return names the loan it closes.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibraryDesk, type Borrower, type LibraryContext, type LibraryCopy } from '../../../device/library/index.js';
import { buildHub, SqliteHubStorage } from '../../../hub/index.js';
import { importCatalogue, LoanFolder, openSqliteLibrary, type LibraryStore } from '../../../hub/library/index.js';
import { SyncClient } from '../../../sync/client/index.js';
import type { Store } from '../../../sync/store/index.js';
import { allHubEvents, openKioskStore, registerDevice, silentLogger, tempDir, TEST_ADMIN_TOKEN } from '../../sync/helpers.js';

const CONTEXT: LibraryContext = {
  rules: [{ id: 'pupils', roles: ['student'], groups: ['*'], maxLoans: 3, loanDays: 14, maxRenewals: 2 }],
  blockLoansWhileOverdue: true, renewOverdue: false, openWeekdays: [1, 2, 3, 4, 5, 6], closedDates: new Set(),
};
const CSV = 'barcode,title,reading_room\nBOOK-1,Абай жолы,\nBOOK-2,Қыз Жібек,\nREF-1,Энциклопедия,yes\n';
const aigerim: Borrower = { id: 'p-1', role: 'student', group: '5Б', status: 'active' };
const dias: Borrower = { id: 'p-2', role: 'student', group: '6А', status: 'active' };
const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };

describe('library desks offline, then synced', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let storage: SqliteHubStorage;
  let library: LibraryStore;
  let app: FastifyInstance;
  let url = '';
  const stores: Store[] = [];

  beforeAll(async () => {
    tmp = await tempDir('esik-desks-');
    const file = join(tmp.dir, 'hub.db');
    storage = await SqliteHubStorage.open(file);
    library = await openSqliteLibrary(file);
    await importCatalogue(library, CSV, { skipBadRows: false, dryRun: false }, Date.now());
    app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, library: { store: library, folder: new LoanFolder(storage, library, silentLogger) } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await app?.close();
    await library?.close();
    await storage?.close();
    await tmp?.cleanup();
  });

  async function desk(name: string, context: LibraryContext = CONTEXT): Promise<{ store: Store; desk: LibraryDesk; client: SyncClient }> {
    const token = await registerDevice({ url, adminToken: TEST_ADMIN_TOKEN }, name);
    const store = await openKioskStore(join(tmp.dir, `${name}.db`), name, randomBytes(32).toString('hex'));
    stores.push(store);
    // The desk's catalogue, as the hub's import made it (the kiosk-side catalogue sync is not built yet).
    const copies = new Map<string, LibraryCopy>();
    for (const barcode of ['BOOK-1', 'BOOK-2', 'REF-1']) {
      const copy = await library.copy(barcode);
      if (copy) copies.set(barcode, { id: copy.barcode, titleId: copy.titleId, readingRoomOnly: copy.readingRoomOnly, status: copy.status });
    }
    const station = new LibraryDesk({ desk: name, events: store.events, catalogue: { copy: (b) => copies.get(b) ?? null }, context, clock });
    await station.start();
    const client = new SyncClient({ baseUrl: url, deviceId: name, token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger });
    return { store, desk: station, client };
  }

  it('flags the copy both desks lent, with each loan pushed once', async () => {
    const a = await desk('desk-a');
    const b = await desk('desk-b');
    const card = { kind: 'card' as const, ref: 'c-1' };
    const loanA = await a.desk.scan({ action: 'loan', borrower: aigerim, barcode: 'BOOK-1', credential: card });
    expect(loanA.decision).toMatchObject({ outcome: 'loan' });
    expect((await a.desk.scan({ action: 'loan', borrower: dias, barcode: 'BOOK-1', credential: card })).decision).toEqual({ outcome: 'refuse', reason: 'already_on_loan' });
    expect((await a.desk.scan({ action: 'loan', borrower: dias, barcode: 'REF-1', credential: card })).decision).toEqual({ outcome: 'refuse', reason: 'reading_room_only' });
    // Desk B has not heard of desk A's loan: it lends the same copy.
    const loanB = await b.desk.scan({ action: 'loan', borrower: dias, barcode: 'BOOK-1', credential: card });
    expect(loanB.decision).toMatchObject({ outcome: 'loan' });

    // Desk A restarts: its loans come back from its own log.
    const restarted = new LibraryDesk({ desk: 'desk-a', events: a.store.events, catalogue: { copy: () => null }, context: CONTEXT, clock });
    await restarted.start();
    expect(restarted.loans().map((l) => [l.copyId, l.borrowerId, l.eventId])).toEqual([['BOOK-1', 'p-1', loanA.event?.id]]);

    for (let round = 0; round < 2; round += 1) {
      expect((await a.client.syncNow()).ok).toBe(true);
      expect((await b.client.syncNow()).ok).toBe(true);
    }
    const loanEvents = (await allHubEvents({ url, adminToken: TEST_ADMIN_TOKEN })).filter((e) => (e.event as { type?: string }).type === 'library.loan');
    expect(loanEvents.map((e) => e.event.id).sort()).toEqual([loanA.event?.id, loanB.event?.id].sort());

    await new LoanFolder(storage, library, silentLogger).catchUp();
    const flags = await library.flags(0, 10);
    expect(flags.map((f) => [f.kind, f.copyId])).toEqual([['double_loan', 'BOOK-1']]);
    expect(new Set([flags[0]?.eventId, flags[0]?.otherEventId])).toEqual(new Set([loanA.event?.id, loanB.event?.id]));

    // Aigerim returns her copy at desk A: the event names her loan, which the hub closes.
    const back = await a.desk.scan({ action: 'return', borrower: null, barcode: 'BOOK-1', credential: null });
    expect(back.event?.data).toMatchObject({ copyId: 'BOOK-1', loanEventId: loanA.event?.id });
    expect((await a.client.syncNow()).ok).toBe(true);
    await new LoanFolder(storage, library, silentLogger).catchUp();
    expect((await library.loansOfCopy('BOOK-1')).map((l) => [l.borrowerId, l.returnedMs === null, l.conflict])).toEqual([
      ['p-1', false, true],
      ['p-2', true, true],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
  }, 30_000);

  it('takes back at one desk a copy lent at another, and the hub closes that loan', async () => {
    const lender = await desk('desk-d');
    const counter = await desk('desk-e', { ...CONTEXT, acceptReturnsWithoutLoan: true });
    const strict = await desk('desk-f');
    const lent = await lender.desk.scan({ action: 'loan', borrower: aigerim, barcode: 'BOOK-2', credential: null });
    expect(lent.decision.outcome).toBe('loan');
    expect((await strict.desk.scan({ action: 'return', borrower: null, barcode: 'BOOK-2', credential: null })).decision).toEqual({ outcome: 'refuse', reason: 'not_on_loan' });
    const back = await counter.desk.scan({ action: 'return', borrower: null, barcode: 'BOOK-2', credential: null });
    expect(back.decision).toEqual({ outcome: 'return', reason: null, borrowerId: null, overdueDays: null });
    expect(back.event).toMatchObject({ type: 'library.return', personId: null, data: { copyId: 'BOOK-2', loanEventId: null } });
    expect((await lender.client.syncNow()).ok).toBe(true);
    expect((await counter.client.syncNow()).ok).toBe(true);
    await new LoanFolder(storage, library, silentLogger).catchUp();
    expect((await library.loansOfCopy('BOOK-2')).map((l) => [l.eventId, l.returnedMs !== null, l.conflict])).toEqual([[lent.event?.id, true, false]]);
  }, 30_000);
});
