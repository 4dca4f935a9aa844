// A real kiosk (`esik run`, the demo roster) configured as a library desk by its config's `library`
// section: its status names the librarian's page, a loan by card and barcode is recorded as a
// library.loan event before the page says yes, the same copy cannot be lent twice, a return frees
// it, and the loans survive a restart. A desk whose catalogue file is broken refuses to start and
// says which file and field.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { openLibrary } from '../../hub/library/index.js';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import { adminCall, registerDevice, silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';
import { allEvents, daemonDir, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';

const CHILD_CARD = '04A2B91D'; // demo roster: p-1002, a pupil of 5Б
const CHILD = 'p-1002';
const COPY = 'LIB-000123';

let dir: DaemonDir | null = null;
let running: Daemon | null = null;
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  running?.child.kill('SIGKILL');
  for (const close of closers.reverse()) await close();
  await dir?.cleanup();
});

async function deskPage(socketPath: string): Promise<string> {
  const status = (await adminRequest(socketPath, 'GET', '/v1/status')) as { library?: { page?: string; copies?: number } };
  if (typeof status.library?.page !== 'string') throw new Error('the kiosk is not a library desk');
  return status.library.page;
}

async function scan(page: string, action: string, card: string, barcode: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${page}/api/scan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action, card, barcode }) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('a kiosk configured as a library desk', () => {
  it('lends, refuses a second loan of the copy, takes it back, and keeps its loans across a restart', async () => {
    dir = await daemonDir();
    await writeFile(join(dir.dir, 'catalogue.json'), JSON.stringify({ asOfMs: Date.now(), copies: [{ id: COPY, titleId: 'isbn:9786010000001' }, { id: 'LIB-000124', titleId: 'isbn:9786010000001', readingRoomOnly: true }] }));
    await writeFile(join(dir.dir, 'rules.json'), JSON.stringify({ rules: [{ id: 'pupils', roles: ['student'], groups: ['*'], maxLoans: 3, loanDays: 14, maxRenewals: 1 }], openWeekdays: [1, 2, 3, 4, 5, 6, 7] }));
    const base = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(dir.configFile, JSON.stringify({ ...base, library: { desk: 'library-1', catalogueFile: 'catalogue.json', rulesFile: 'rules.json' } }));
    const clockFile = join(dir.dir, 'clock.json');
    await writeFile(clockFile, JSON.stringify({ offsetMs: 0, ntpSynced: true }));
    const env = { ESIK_FAKE_CLOCK_FILE: clockFile };
    running = startDaemon(dir.configFile, env);
    await waitForDaemon(dir.socketPath, running);
    const page = await deskPage(dir.socketPath);

    expect(await scan(page, 'loan', CHILD_CARD, COPY)).toMatchObject({ outcome: 'loan', reason: null });
    expect(await scan(page, 'loan', CHILD_CARD, COPY)).toMatchObject({ outcome: 'refuse', reason: 'already_on_loan' });
    expect(await scan(page, 'loan', CHILD_CARD, 'LIB-000124')).toMatchObject({ outcome: 'refuse', reason: 'reading_room_only' });
    const loans = (await allEvents(dir.socketPath)).filter((e) => e.type.startsWith('library.'));
    expect(loans.map((e) => [e.type, e.personId])).toEqual([['library.loan', CHILD]]);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = startDaemon(dir.configFile, env);
    await waitForDaemon(dir.socketPath, running);
    const again = await deskPage(dir.socketPath);
    expect(await scan(again, 'loan', CHILD_CARD, COPY)).toMatchObject({ outcome: 'refuse', reason: 'already_on_loan' });
    expect(await scan(again, 'return', '', COPY)).toMatchObject({ outcome: 'return', borrowerId: CHILD });
    expect(await scan(again, 'loan', CHILD_CARD, COPY)).toMatchObject({ outcome: 'loan', reason: null });
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);

    await writeFile(join(dir.dir, 'catalogue.json'), JSON.stringify({ asOfMs: Date.now(), copies: [{ id: COPY, titleId: 'isbn:1', status: 'stolen' }] }));
    running = startDaemon(dir.configFile, env);
    expect(await running.exited).not.toBe(0);
    expect(running.output()).toMatch(/invalid library catalogue .*catalogue\.json: copies\.0\.status/);
    running = null;
  }, 120_000);
  it('takes its catalogue from the hub: a copy catalogued at the hub is lendable after the next refresh, and kept in the file', async () => {
    dir = await daemonDir();
    const hubFile = join(dir.dir, 'hub.db');
    const storage = await SqliteHubStorage.open(hubFile);
    const library = await openLibrary(hubFile, storage, silentLogger);
    const app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, library: { store: library.store, folder: library.folder } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => storage.close(), () => library.close(), () => app.close());
    const address = app.server.address();
    const hub = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, adminToken: TEST_ADMIN_TOKEN };
    const tokenFile = join(dir.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice(hub, 'test-kiosk')}\n`, { mode: 0o600 });

    await writeFile(join(dir.dir, 'catalogue.json'), JSON.stringify({ asOfMs: 1, copies: [] }));
    await writeFile(join(dir.dir, 'rules.json'), JSON.stringify({ rules: [{ id: 'pupils', roles: ['student'], groups: ['*'], maxLoans: 3, loanDays: 14, maxRenewals: 1 }], openWeekdays: [1, 2, 3, 4, 5, 6, 7] }));
    const base = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(dir.configFile, JSON.stringify({
      ...base,
      library: { desk: 'library-1', catalogueFile: 'catalogue.json', rulesFile: 'rules.json', catalogueRefreshMs: 600_000 },
      sync: { url: hub.url, tokenFile, intervalMs: 600_000 },
    }));
    const clockFile = join(dir.dir, 'clock.json');
    await writeFile(clockFile, JSON.stringify({ offsetMs: 0, ntpSynced: true }));
    running = startDaemon(dir.configFile, { ESIK_FAKE_CLOCK_FILE: clockFile });
    await waitForDaemon(dir.socketPath, running);
    const page = await deskPage(dir.socketPath);
    expect(await scan(page, 'loan', CHILD_CARD, COPY)).toMatchObject({ outcome: 'refuse', reason: 'unknown_copy' });

    const csv = `barcode,isbn,title,author\n${COPY},9786010000001,Абай жолы,Мұхтар Әуезов\n`;
    const imported = await fetch(`${hub.url}/v1/admin/library/import`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: csv });
    expect(imported.status).toBe(200);
    expect(await adminRequest(dir.socketPath, 'POST', '/v1/library/catalogue/refresh')).toMatchObject({ updated: true, copies: 1, lastError: null });
    expect(await scan(page, 'loan', CHILD_CARD, COPY)).toMatchObject({ outcome: 'loan', reason: null });
    const file = JSON.parse(await readFile(join(dir.dir, 'catalogue.json'), 'utf8')) as { copies: Array<{ id: string }> };
    expect(file.copies.map((c) => c.id)).toEqual([COPY]);
    // Another device's token cannot read the catalogue.
    expect((await fetch(`${hub.url}/v1/devices/test-kiosk/library/catalogue`, { headers: { authorization: 'Bearer not-the-token-0123456789' } })).status).toBe(401);
    expect((await adminCall(hub, 'GET', '/v1/admin/library/copies/' + COPY)).status).toBe(200);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = null;
  }, 120_000);
});
