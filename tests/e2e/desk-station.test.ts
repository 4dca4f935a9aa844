// A real kiosk (`esik run`, the demo roster) configured as a library desk by its config's `library`
// section: its status names the librarian's page, a loan by card and barcode is recorded as a
// library.loan event before the page says yes, the same copy cannot be lent twice, a return frees
// it, and the loans survive a restart. A desk whose catalogue file is broken refuses to start and
// says which file and field.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { allEvents, daemonDir, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';

const CHILD_CARD = '04A2B91D'; // demo roster: p-1002, a pupil of 5Б
const CHILD = 'p-1002';
const COPY = 'LIB-000123';

let dir: DaemonDir | null = null;
let running: Daemon | null = null;
afterAll(async () => {
  running?.child.kill('SIGKILL');
  await dir?.cleanup();
});

async function deskPage(socketPath: string): Promise<string> {
  const status = (await adminRequest(socketPath, 'GET', '/v1/status')) as { library?: { page?: string; copies?: number } };
  if (typeof status.library?.page !== 'string') throw new Error('the kiosk is not a library desk');
  expect(status.library.copies).toBe(2);
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
});
