// kill -9 of the real kiosk process (`esik run`) at seeded random moments while it pushes to a real
// hub process, through a proxy that also loses some answers after the hub committed. After the
// trials the kiosk runs once more until its outbox is empty and stops cleanly; then every event
// the kiosk recorded must be on the hub exactly once, in seq order, none quarantined.
// (tests/fault/sync-kill.test.ts does the same against a small harness child, many more pushes.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';
import { FaultProxy } from '../sync/fault-proxy.js';
import { allHubEvents, checkExactlyOnce, registerDevice, startHubProcess, tempDir, type HubProcess } from '../sync/helpers.js';
import { everyEvent, seededRandom, seqProblems, startKioskChild, waitFor, type KioskChild } from './helpers.js';

const TRIALS = Number(process.env.ESIK_SYNC_KIOSK_KILL_TRIALS ?? 50);
const DEVICE_ID = 'test-kiosk'; // the id daemonDir() configures
const STAFF_CARD = '0A11C0DE'; // demo roster: staff, granted at any hour
const UNKNOWN_CARD = 'FFEE0001'; // not in the roster: denied
const WORKERS = 3;
/** The kill lands 0–KILL_WINDOW_MS after the kiosk answered, while events are made and pushed. */
const KILL_WINDOW_MS = 700;

interface SyncStatusView {
  state: string;
  backlog: number;
  quarantined: number;
}

/** Presents cards back to back until the kiosk dies under it; returns how many were decided. */
async function presentUntilDeath(socketPath: string, random: () => number): Promise<number> {
  let decided = 0;
  for (;;) {
    const value = random() < 0.7 ? STAFF_CARD : UNKNOWN_CARD;
    try {
      const answer = (await adminRequest(socketPath, 'POST', '/v1/simulate', { actor: 'fault-sync-kill', value, door: 'main' }, 5000)) as { decided?: boolean };
      if (answer.decided === true) decided += 1;
    } catch {
      return decided; // the kiosk is gone
    }
  }
}

interface EventRow {
  seq: number;
  id: string;
  type: string;
  sync_state: 'pending' | 'synced' | 'quarantined';
}

/** Every event row of the stopped kiosk's database, read-only, in seq order. */
function eventRows(file: string): Promise<EventRow[]> {
  return new Promise((resolvePromise, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all('SELECT seq, id, type, sync_state FROM events ORDER BY seq', (error: Error | null, rows: EventRow[]) => {
        db.close();
        if (error) reject(error);
        else resolvePromise(rows);
      });
    });
  });
}

/** SIGTERM, and SIGKILL if the kiosk has not stopped within the deadline. */
async function stopGracefully(kiosk: KioskChild, deadlineMs = 30_000): Promise<number | null> {
  kiosk.child.kill('SIGTERM');
  const timer = setTimeout(() => void kiosk.kill(), deadlineMs);
  const code = await kiosk.exited;
  clearTimeout(timer);
  return code;
}

describe('sync survives kill -9 of the whole kiosk process during push', () => {
  let hub: HubProcess;
  let proxy: FaultProxy;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let kioskDir: DaemonDir;
  let running: KioskChild | null = null;

  beforeAll(async () => {
    tmp = await tempDir();
    hub = await startHubProcess(join(tmp.dir, 'hub.db'));
    proxy = await FaultProxy.start(hub.url, seededRandom(0x51c0ffee));
    const tokenFile = join(tmp.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice(hub, DEVICE_ID)}\n`, { mode: 0o600 });
    kioskDir = await daemonDir({ sync: { url: proxy.url, tokenFile, intervalMs: 1000 } });
  }, 60_000);
  afterAll(async () => {
    await running?.kill();
    await proxy?.close();
    await hub?.stop();
    await kioskDir?.cleanup();
    await tmp?.cleanup();
  });

  async function trial(index: number): Promise<number> {
    const random = seededRandom(0x5c1c0000 + index);
    running = await startKioskChild(kioskDir.configFile, kioskDir.socketPath, {}, 60_000);
    const workers = Array.from({ length: WORKERS }, () => presentUntilDeath(kioskDir.socketPath, random));
    await new Promise((resolvePromise) => setTimeout(resolvePromise, Math.floor(random() * KILL_WINDOW_MS)));
    await running.kill();
    running = null;
    return (await Promise.all(workers)).reduce((sum, count) => sum + count, 0);
  }

  it(`${TRIALS} kills at random moments, then a clean drain: every kiosk event on the hub exactly once, in seq order`, async () => {
    proxy.fault = { kind: 'drop-after-commit', probability: 0.1 };
    let decided = 0;
    for (let index = 0; index < TRIALS; index++) {
      decided += await trial(index);
      if ((index + 1) % 10 === 0) process.stderr.write(`sync kiosk kill trial ${index + 1}/${TRIALS}: ${decided} decisions so far\n`);
    }
    const onHubBeforeDrain = (await allHubEvents(hub)).filter((e) => e.deviceId === DEVICE_ID).length;
    proxy.fault = { kind: 'none' };

    running = await startKioskChild(kioskDir.configFile, kioskDir.socketPath, {}, 120_000);
    const socketPath = kioskDir.socketPath;
    const drained = await waitFor('an empty outbox', async () => {
      const status = (await adminRequest(socketPath, 'GET', '/v1/sync/status')) as SyncStatusView;
      return status.backlog === 0 ? status : undefined;
    }, 90_000, 200);
    const lastBeforeStop = (await everyEvent(socketPath)).at(-1)?.seq ?? 0;
    const exitCode = await stopGracefully(running);
    running = null;

    // The shutdown records device.stopped after the sync client stopped: it waits for the next
    // start, so the hub must hold exactly the events recorded before the stop.
    const rows = await eventRows(join(kioskDir.dir, 'state', 'esik.db'));
    const pushed = rows.filter((row) => row.seq <= lastBeforeStop);
    const onHub = (await allHubEvents(hub)).filter((e) => e.deviceId === DEVICE_ID);
    process.stderr.write(`sync kiosk kill: ${rows.length} events, ${onHubBeforeDrain} on the hub before the drain, proxy ${JSON.stringify(proxy.stats)}\n`);
    expect(exitCode).toBe(0);
    expect(decided).toBeGreaterThan(0);
    expect(drained.quarantined).toBe(0);
    expect(seqProblems(rows.map((row) => row.seq))).toEqual([]);
    expect(rows.filter((row) => row.type === 'device.started')).toHaveLength(TRIALS + 1);
    expect(rows.filter((row) => row.sync_state !== 'synced').map((row) => `${row.seq} ${row.type} ${row.sync_state}`)).toEqual(
      rows.filter((row) => row.seq > lastBeforeStop).map((row) => `${row.seq} ${row.type} pending`),
    );
    expect(checkExactlyOnce(onHub)).toEqual({ ids: pushed.length, duplicates: 0, outOfOrder: 0 });
    expect(onHub.map((e) => e.event.seq)).toEqual(pushed.map((row) => row.seq));
    expect(onHub.map((e) => e.event.id)).toEqual(pushed.map((row) => row.id));
    // The trials really pushed (not only the final drain), and some answers were lost after commit.
    expect(onHubBeforeDrain).toBeGreaterThan(0);
    expect(proxy.stats.dropped).toBeGreaterThan(0);
  }, 15 * 60_000);
});
