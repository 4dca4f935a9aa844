// The offline double loan with a real hub process: two desks (real kiosk stores with the desk
// station and the sync client) lend one copy; desk A syncs, the hub is killed with SIGKILL and
// started again on the same database, desk B syncs. The restarted hub's loan folder, polling on its
// own from its durable cursor, flags the double loan once; both loans are kept.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibraryDesk, type Borrower, type LibraryContext, type LibraryCopy } from '../../../device/library/index.js';
import { SyncClient } from '../../../sync/client/index.js';
import type { Store } from '../../../sync/store/index.js';
import { adminCall, openKioskStore, registerDevice, silentLogger, startHubProcess, tempDir, type HubProcess } from '../../sync/helpers.js';

const CONTEXT: LibraryContext = {
  rules: [{ id: 'all', roles: ['student', 'staff'], groups: ['*'], maxLoans: 5, loanDays: 14, maxRenewals: 1 }],
  blockLoansWhileOverdue: true, renewOverdue: false, openWeekdays: [1, 2, 3, 4, 5, 6], closedDates: new Set(),
};
const COPY: LibraryCopy = { id: 'BOOK-7', titleId: 'local:x', readingRoomOnly: false, status: 'available' };
const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('double loan through a real hub process', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let hub: HubProcess | null = null;
  const stores: Store[] = [];
  const previousFoldMs = process.env.ESIK_HUB_LIBRARY_FOLD_MS;

  beforeAll(async () => {
    tmp = await tempDir('esik-desk-hub-');
    process.env.ESIK_HUB_LIBRARY_FOLD_MS = '200'; // inherited by the hub process
  });
  afterAll(async () => {
    if (previousFoldMs === undefined) delete process.env.ESIK_HUB_LIBRARY_FOLD_MS;
    else process.env.ESIK_HUB_LIBRARY_FOLD_MS = previousFoldMs;
    for (const store of stores) await store.close();
    await hub?.stop();
    await tmp?.cleanup();
  });

  async function desk(name: string, borrower: Borrower, url: string, token: string): Promise<{ client: SyncClient; eventId: string }> {
    const store = await openKioskStore(join(tmp.dir, `${name}.db`), name, randomBytes(32).toString('hex'));
    stores.push(store);
    const station = new LibraryDesk({ desk: name, events: store.events, catalogue: { copy: (b) => (b === COPY.id ? COPY : null) }, context: CONTEXT, clock });
    await station.start();
    const outcome = await station.scan({ action: 'loan', borrower, barcode: COPY.id, credential: { kind: 'card', ref: `card-${borrower.id}` } });
    expect(outcome.decision.outcome).toBe('loan');
    const client = new SyncClient({ baseUrl: url, deviceId: name, token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger });
    return { client, eventId: outcome.event?.id ?? '' };
  }

  it('is flagged once after a SIGKILL between the two desks syncing', async () => {
    const dbFile = join(tmp.dir, 'hub.db');
    hub = await startHubProcess(dbFile);
    const csv = await fetch(`${hub.url}/v1/admin/library/import`, { method: 'POST', headers: { authorization: `Bearer ${hub.adminToken}`, 'content-type': 'text/csv' }, body: 'barcode,title\nBOOK-7,Көшпенділер\n' });
    expect(csv.status).toBe(200);
    const tokenA = await registerDevice(hub, 'desk-a');
    const tokenB = await registerDevice(hub, 'desk-b');
    const a = await desk('desk-a', { id: 'p-1', role: 'student', group: '7В', status: 'active' }, hub.url, tokenA);
    expect((await a.client.syncNow()).ok).toBe(true);

    hub.child.kill('SIGKILL');
    await new Promise((r) => hub?.child.once('exit', r));
    hub = await startHubProcess(dbFile);
    const b = await desk('desk-b', { id: 's-4', role: 'staff', group: null, status: 'active' }, hub.url, tokenB);
    expect((await b.client.syncNow()).ok).toBe(true);

    let flags: Array<{ kind: string; copyId: string; eventId: string; otherEventId: string }> = [];
    for (let i = 0; i < 100 && flags.length === 0; i += 1) {
      await sleep(100);
      flags = (await adminCall(hub, 'GET', '/v1/admin/library/flags')).json.flags;
    }
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ kind: 'double_loan', copyId: 'BOOK-7' });
    expect([flags[0]?.eventId, flags[0]?.otherEventId].sort()).toEqual([a.eventId, b.eventId].sort());
    await sleep(500); // further polls change nothing
    expect((await adminCall(hub, 'GET', '/v1/admin/library/flags')).json.flags).toHaveLength(1);
    const copy = (await adminCall(hub, 'GET', '/v1/admin/library/copies/BOOK-7')).json;
    expect(copy.loans.map((l: { borrowerId: string; conflict: boolean }) => [l.borrowerId, l.conflict])).toEqual([['p-1', true], ['s-4', true]]);
  }, 60_000);
});
