// A damaged database at boot, against the real kiosk process: the kiosk starts anyway, the bad file
// goes to <stateDir>/quarantine/ (timestamped, kept), every readable unsent event comes back with
// its id and seq, new seqs continue above the highest one the damaged file knew, the roster waits
// for a full pull (no cursor), and an alarm.raised db_corrupt event, a degraded health check and
// the status all say so. A torn WAL is SQLite's own business: the kiosk starts without quarantine.
import { open, readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir, type StoredEventView } from '../device/daemon.js';
import { everyEvent, seededRandom, seqProblems, startKioskChild, waitFor, type KioskChild } from './helpers.js';

const STAFF_CARD = '0A11C0DE';
const PAGE = 4096;

let dir: DaemonDir | null = null;
let running: KioskChild | null = null;
afterEach(async () => {
  await running?.kill();
  running = null;
  await dir?.cleanup();
  dir = null;
});

async function presentCards(socketPath: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = (await adminRequest(socketPath, 'POST', '/v1/simulate', { actor: 'fault-corrupt', value: STAFF_CARD, door: 'main' })) as { outcome: string };
    expect(answer.outcome).toBe('grant');
  }
}

/** A kiosk with `cards` decisions recorded, stopped cleanly (the WAL is checkpointed into the file). */
async function populatedStateDir(cards: number): Promise<{ dir: DaemonDir; before: StoredEventView[]; dbFile: string }> {
  const made = await daemonDir();
  dir = made;
  running = await startKioskChild(made.configFile, made.socketPath);
  await presentCards(made.socketPath, cards);
  const before = await everyEvent(made.socketPath);
  running.child.kill('SIGTERM');
  expect(await running.exited).toBe(0);
  running = null;
  return { dir: made, before, dbFile: join(made.dir, 'state', 'esik.db') };
}

interface RecoveryStatus {
  quarantinedAs: string;
  salvagedEvents: number;
  highWaterSeq: number;
  unreadableRanges: Array<[number, number]>;
  gaps: Array<[number, number]>;
  rosterFullPullPending: boolean;
}

const inRanges = (seq: number, ranges: ReadonlyArray<[number, number]>): boolean => ranges.some(([from, to]) => from <= seq && seq <= to);

/** Restarts on the damaged file and checks every recovery invariant; returns the recovery report. */
async function expectRecovered(made: DaemonDir, before: readonly StoredEventView[]): Promise<RecoveryStatus> {
  running = await startKioskChild(made.configFile, made.socketPath);
  const status = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { storeRecovery: RecoveryStatus };
  const report = status.storeRecovery;
  expect(report.rosterFullPullPending).toBe(true);
  // Quarantined, timestamped, never deleted.
  const quarantine = join(made.dir, 'state', 'quarantine');
  expect(report.quarantinedAs.startsWith(quarantine)).toBe(true);
  expect((await readdir(quarantine)).some((name) => /^esik\.db\.corrupt-\d{4}-\d\d-\d\dT/.test(name))).toBe(true);
  expect((await stat(report.quarantinedAs)).size).toBeGreaterThan(0);

  const after = await everyEvent(made.socketPath);
  const afterBySeq = new Map(after.map((event) => [event.seq, event]));
  // Every event the damaged file could still give is back with its id and seq; only the ranges the
  // salvage reported as unreadable or missing may be absent.
  const lost = before.filter((event) => afterBySeq.get(event.seq)?.id !== event.id);
  expect(lost.filter((event) => !inRanges(event.seq, [...report.unreadableRanges, ...report.gaps]))).toEqual([]);
  expect(after.filter((event) => event.seq <= report.highWaterSeq)).toHaveLength(report.salvagedEvents);
  // New seqs continue above the old high-water mark: none issued twice.
  const fresh = after.filter((event) => event.seq > report.highWaterSeq);
  expect(fresh[0]?.seq).toBe(report.highWaterSeq + 1);
  expect(seqProblems(fresh.map((event) => event.seq - report.highWaterSeq))).toEqual([]);
  const alarm = fresh.find((event) => event.type === 'alarm.raised');
  expect(alarm).toMatchObject({ reason: 'db_corrupt' });
  // The door works on the fresh store.
  await presentCards(made.socketPath, 1);
  const health = await waitFor('a degraded health report', async () => {
    const view = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { health?: { warnings?: string[] } | null };
    return view.health?.warnings?.includes('store-recovery') === true ? view.health : undefined;
  });
  expect(health.warnings).toContain('store-recovery');
  return report;
}

describe('corrupt database at boot', () => {
  it('garbage pages: starts, quarantines, salvages every readable unsent event with id and seq, seq continues, alarm db_corrupt', async () => {
    const { dir: made, before, dbFile } = await populatedStateDir(40);
    const pages = Math.floor((await stat(dbFile)).size / PAGE);
    const random = seededRandom(0xbad9a9e);
    const handle = await open(dbFile, 'r+');
    // Two pages past the schema, overwritten with seeded garbage behind their first bytes.
    for (const page of [Math.max(2, pages - 2), Math.max(2, Math.floor(pages / 2))]) {
      const garbage = Buffer.from(Array.from({ length: PAGE - 64 }, () => Math.floor(random() * 256)));
      await handle.write(garbage, 0, garbage.length, page * PAGE + 64);
    }
    await handle.close();
    const report = await expectRecovered(made, before);
    expect(report.highWaterSeq).toBeGreaterThanOrEqual(before.length - 1);
    expect(report.salvagedEvents).toBeGreaterThan(0);
  }, 180_000);

  it('truncated file: starts, quarantines, salvages what is readable, never reuses a seq, alarm db_corrupt', async () => {
    const { dir: made, before, dbFile } = await populatedStateDir(40);
    const size = (await stat(dbFile)).size;
    await truncate(dbFile, Math.floor(size / 2 / PAGE) * PAGE + 100);
    await expectRecovered(made, before);
  }, 180_000);

  it('not a database at all: starts on a fresh store, keeps the bad file in quarantine, alarm db_corrupt', async () => {
    const { dir: made, dbFile } = await populatedStateDir(3);
    const original = await readFile(dbFile);
    const handle = await open(dbFile, 'r+');
    await handle.write(Buffer.alloc(100, 0x5a), 0, 100, 0); // the SQLite header is gone
    await handle.close();
    const report = await expectRecovered(made, []);
    expect((await stat(report.quarantinedAs)).size).toBe(original.length);
  }, 180_000);

  it('torn WAL after kill -9: SQLite drops the torn frames, the kiosk starts without quarantine and seq stays gapless', async () => {
    const made = await daemonDir();
    dir = made;
    running = await startKioskChild(made.configFile, made.socketPath);
    await presentCards(made.socketPath, 30);
    running.child.kill('SIGKILL');
    await running.exited;
    running = null;
    const wal = join(made.dir, 'state', 'esik.db-wal');
    const walSize = (await stat(wal)).size;
    expect(walSize).toBeGreaterThan(PAGE);
    await truncate(wal, walSize - 1000); // the last frame is torn mid-page
    running = await startKioskChild(made.configFile, made.socketPath);
    const status = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { storeRecovery: unknown };
    expect(status.storeRecovery).toEqual({ recovered: false });
    await presentCards(made.socketPath, 1);
    const events = await everyEvent(made.socketPath);
    expect(seqProblems(events.map((event) => event.seq))).toEqual([]);
    expect(events.some((event) => event.reason === 'db_corrupt')).toBe(false);
    expect(events.filter((event) => event.type === 'access.granted').length).toBeGreaterThan(1);
  }, 180_000);
});
