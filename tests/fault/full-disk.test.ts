// A full disk under the real kiosk process: its state dir lives on a small tmpfs that the test fills
// to the last byte. Decisions continue per storage.failMode (secure denies, open-for-known grants
// known people and holds their events in memory), an alarm is raised, and once space returns the
// held events are written, seq is gapless and PRAGMA integrity_check passes.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, repoRoot, type DaemonDir } from '../device/daemon.js';
import { everyEvent, seqProblems, startKioskChild, waitFor, type KioskChild } from './helpers.js';

const STAFF_CARD = '0A11C0DE';
const TMPFS_BYTES = 24 * 1024 * 1024;

let mountPoint: string | null = null;
let mountError: string | null = null;
let dir: DaemonDir | null = null;
let running: KioskChild | null = null;

beforeAll(async () => {
  const point = await mkdtemp(join(tmpdir(), 'esik-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=0700`, 'tmpfs', point], { stdio: 'pipe', timeout: 10_000 });
    mountPoint = point;
  } catch (error) {
    mountError = error instanceof Error ? error.message : 'mount failed';
    await rm(point, { recursive: true, force: true });
  }
});
afterEach(async () => {
  await running?.kill();
  running = null;
  await dir?.cleanup();
  dir = null;
});
afterAll(async () => {
  if (mountPoint === null) return;
  execFileSync('umount', [mountPoint], { stdio: 'pipe', timeout: 10_000 });
  await rm(mountPoint, { recursive: true, force: true });
});

/** Writes zeros into `file` until the filesystem says ENOSPC. */
async function fillDisk(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOSPC')) throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
  // Fill the last partial block too.
  const tail = await open(file, 'a');
  try {
    for (;;) await tail.write(Buffer.alloc(512));
  } catch {
    // ENOSPC: the disk is full to the byte
  } finally {
    await tail.close().catch(() => undefined);
  }
}

interface Answer {
  decided: boolean;
  outcome: 'grant' | 'deny';
  reason: string | null;
  seq: number | null;
}

const simulate = async (socketPath: string): Promise<Answer> =>
  (await adminRequest(socketPath, 'POST', '/v1/simulate', { actor: 'fault-disk', value: STAFF_CARD, door: 'main' })) as Answer;

function integrityCheck(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.get('PRAGMA integrity_check', (error: Error | null, row: { integrity_check: string } | undefined) => {
        db.close();
        if (error) reject(error);
        else resolvePromise(row?.integrity_check ?? 'no answer');
      });
    });
  });
}

async function runOutage(failMode: 'secure' | 'open-for-known', stateDir: string): Promise<{ outage: Answer[]; made: DaemonDir }> {
  await mkdir(stateDir, { recursive: true });
  const made = await daemonDir({
    device: { id: 'test-kiosk', stateDir, seedRosterFile: join(repoRoot, 'fixtures/demo-roster.json') },
    storage: { failMode },
  });
  dir = made;
  running = await startKioskChild(made.configFile, made.socketPath);
  expect((await simulate(made.socketPath)).outcome).toBe('grant');
  const filler = join(stateDir, 'filler');
  await fillDisk(filler);
  // Present until the store refuses a write (the WAL may still have room for a few), then five more.
  const outage: Answer[] = [];
  for (let i = 0; i < 500 && outage.length < 6; i++) {
    const answer = await simulate(made.socketPath);
    if (answer.seq === null || outage.length > 0) outage.push(answer);
  }
  expect(outage.length).toBe(6);
  const during = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { kiosk: { storeHealthy: boolean; heldInMemory: number } };
  expect(during.kiosk.storeHealthy).toBe(false);
  expect(during.kiosk.heldInMemory).toBeGreaterThan(0);
  await rm(filler); // space returns
  await waitFor('the held events to be written', async () => {
    const status = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { kiosk: { storeHealthy: boolean; heldInMemory: number } };
    return status.kiosk.storeHealthy && status.kiosk.heldInMemory === 0 ? true : undefined;
  }, 40_000, 200);
  expect((await simulate(made.socketPath)).seq).not.toBeNull();
  return { outage, made };
}

async function expectConsistentAfter(made: DaemonDir, stateDir: string, deferredType: string, outageCount: number): Promise<void> {
  const events = await everyEvent(made.socketPath);
  expect(seqProblems(events.map((event) => event.seq))).toEqual([]);
  const deferred = events.filter((event) => event.type === deferredType && event.data?.deferred === true);
  expect(deferred).toHaveLength(outageCount);
  expect(events.find((event) => event.type === 'alarm.raised' && event.reason === 'store_unavailable')).toBeDefined();
  expect(events.find((event) => event.type === 'alarm.cleared' && event.reason === 'store_unavailable')).toBeDefined();
  running?.child.kill('SIGTERM');
  expect(await running?.exited).toBe(0);
  running = null;
  expect(await integrityCheck(join(stateDir, 'esik.db'))).toBe('ok');
}

describe('full disk (a filled tmpfs under the state dir)', () => {
  it('secure: denies while nothing can be recorded, raises the alarm, writes the held denials when space returns; seq gapless, integrity ok', async (context) => {
    if (mountPoint === null) return context.skip(`cannot mount a tmpfs here: ${mountError ?? ''}`);
    const stateDir = join(mountPoint, 'secure');
    const { outage, made } = await runOutage('secure', stateDir);
    expect(outage.map((answer) => [answer.outcome, answer.reason])).toEqual(Array.from({ length: 6 }, () => ['deny', 'store_unavailable']));
    await expectConsistentAfter(made, stateDir, 'access.denied', 6);
  }, 180_000);

  it('open-for-known: grants a known active person and holds the events in memory, written gapless when space returns; integrity ok', async (context) => {
    if (mountPoint === null) return context.skip(`cannot mount a tmpfs here: ${mountError ?? ''}`);
    const stateDir = join(mountPoint, 'open');
    const { outage, made } = await runOutage('open-for-known', stateDir);
    expect(outage.map((answer) => [answer.outcome, answer.seq])).toEqual(Array.from({ length: 6 }, () => ['grant', null]));
    await expectConsistentAfter(made, stateDir, 'access.granted', 6);
  }, 180_000);
});
