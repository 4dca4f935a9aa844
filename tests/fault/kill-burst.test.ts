// kill -9 during decision bursts, 100 times, against the real kiosk process on one persistent state
// dir. A decision the kiosk reported (the simulate answer comes after the commit and the relay
// command) must be in the database after the restart; the seq must stay gapless with no repeat.
import { afterAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir, type StoredEventView } from '../device/daemon.js';
import { everyEvent, seededRandom, seqProblems, startKioskChild, type KioskChild } from './helpers.js';

const TRIALS = Number(process.env.ESIK_FAULT_KILL_TRIALS ?? 100);
const STAFF_CARD = '0A11C0DE'; // demo roster: staff p-2001, allowed at any hour → grant
const UNKNOWN_CARD = 'FFEE0001'; // not in the roster → deny unknown credential
const WORKERS = 6;

interface Reported {
  seq: number;
  outcome: 'grant' | 'deny';
  personId: string | null;
}

let dir: DaemonDir | null = null;
let running: KioskChild | null = null;
afterAll(async () => {
  await running?.kill();
  await dir?.cleanup();
});

/** One worker: presents cards back to back until the kiosk dies under it. */
async function presentUntilDeath(socketPath: string, random: () => number, reported: Reported[], firstAnswer: () => void): Promise<void> {
  for (;;) {
    const value = random() < 0.7 ? STAFF_CARD : UNKNOWN_CARD;
    let answer: { decided?: boolean; outcome?: 'grant' | 'deny'; seq?: number | null; personId?: string | null };
    try {
      answer = (await adminRequest(socketPath, 'POST', '/v1/simulate', { actor: 'fault-kill', value, door: 'main' }, 5000)) as typeof answer;
    } catch {
      return; // the kiosk is gone: this presentation was never reported to the door
    }
    if (answer.decided === true && typeof answer.seq === 'number' && answer.outcome !== undefined) {
      reported.push({ seq: answer.seq, outcome: answer.outcome, personId: answer.personId ?? null });
      firstAnswer();
    }
  }
}

async function trial(index: number, socketPath: string, reported: Reported[]): Promise<number> {
  const random = seededRandom(0x5eed0000 + index);
  const before = reported.length;
  let started!: () => void;
  const firstAnswer = new Promise<void>((resolvePromise) => (started = resolvePromise));
  const workers = Array.from({ length: WORKERS }, () => presentUntilDeath(socketPath, random, reported, started));
  // A kiosk that answers nothing (all workers failed) must not hang the trial: it counts 0 and fails below.
  await Promise.race([firstAnswer, Promise.all(workers)]);
  // A random moment inside the burst, 0–250 ms after the first answer.
  await new Promise((resolvePromise) => setTimeout(resolvePromise, Math.floor(random() * 250)));
  await running?.kill();
  await Promise.all(workers);
  return reported.length - before;
}

function lostDecisions(reported: readonly Reported[], bySeq: ReadonlyMap<number, StoredEventView>): string[] {
  const lost: string[] = [];
  for (const decision of reported) {
    const stored = bySeq.get(decision.seq);
    const type = decision.outcome === 'grant' ? 'access.granted' : 'access.denied';
    if (stored?.type !== type || stored.personId !== decision.personId) lost.push(`seq ${decision.seq}: reported ${type}, stored ${stored?.type ?? 'nothing'}`);
  }
  return lost;
}

describe(`${TRIALS} kill -9 trials during decision bursts`, () => {
  it('loses no reported decision, keeps seq gapless 1..N with no repeat, and gives every denial and alarm a reason', async () => {
    dir = await daemonDir();
    const reported: Reported[] = [];
    const perTrial: number[] = [];
    running = await startKioskChild(dir.configFile, dir.socketPath);
    for (let index = 0; index < TRIALS; index++) {
      perTrial.push(await trial(index, dir.socketPath, reported));
      if ((index + 1) % 10 === 0) process.stderr.write(`kill -9 trial ${index + 1}/${TRIALS}: ${reported.length} decisions reported so far\n`);
      // The restart that checks this trial is the start of the next one.
      running = await startKioskChild(dir.configFile, dir.socketPath);
    }
    const events = await everyEvent(dir.socketPath);
    await running.kill();
    running = null;

    expect(perTrial.every((count) => count > 0)).toBe(true);
    const bySeq = new Map(events.map((event) => [event.seq, event]));
    expect(lostDecisions(reported, bySeq)).toEqual([]);
    expect(new Set(reported.map((decision) => decision.seq)).size).toBe(reported.length);
    expect(seqProblems(events.map((event) => event.seq))).toEqual([]);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    const needsReason = events.filter((event) => event.type === 'access.denied' || event.type.startsWith('alarm.'));
    expect(needsReason.filter((event) => event.reason === null || event.reason === '')).toEqual([]);
    expect(events.filter((event) => event.type === 'device.started')).toHaveLength(TRIALS + 1);
  }, 40 * 60_000);
});
