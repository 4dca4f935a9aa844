// kill -9 of a real kiosk right after a decision: the decision's event survives, and the sequence
// continues with no gap and no repeat after a restart.
import { afterAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { allEvents, daemonDir, startDaemon, waitForDaemon, type DaemonDir, type Daemon } from '../device/daemon.js';

const STAFF_CARD = '0A11C0DE'; // demo roster: staff, allowed at any hour

let dir: DaemonDir | null = null;
let running: Daemon | null = null;
afterAll(async () => {
  running?.child.kill('SIGKILL');
  await dir?.cleanup();
});

interface SimulateAnswer {
  decided: boolean;
  outcome: string;
  seq: number | null;
  personId: string | null;
}

describe('kill -9 right after a grant', () => {
  it('keeps the granted event and continues the sequence exactly', async () => {
    dir = await daemonDir();
    running = startDaemon(dir.configFile);
    await waitForDaemon(dir.socketPath, running);

    const grant = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'crash-test', value: STAFF_CARD, door: 'main' })) as SimulateAnswer;
    // The answer is sent after the event committed and the relay was commanded: kill right now.
    running.child.kill('SIGKILL');
    expect(await running.exited).toBeNull();
    expect(grant).toMatchObject({ decided: true, outcome: 'grant', personId: 'p-2001' });
    expect(grant.seq).toBeGreaterThan(0);

    running = startDaemon(dir.configFile);
    await waitForDaemon(dir.socketPath, running);
    const afterRestart = await allEvents(dir.socketPath);
    const survivor = afterRestart.find((e) => e.seq === grant.seq);
    expect(survivor).toMatchObject({ type: 'access.granted', personId: 'p-2001' });
    // Nothing after the grant from the killed process: the next seq belongs to the new boot.
    const lastBefore = afterRestart.at(-1)?.seq ?? 0;

    const next = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'crash-test', value: STAFF_CARD, door: 'main' })) as SimulateAnswer;
    expect(next.outcome).toBe('grant');
    const events = await allEvents(dir.socketPath);
    // The simulate call records its audit event first, then the decision: exactly +1 each.
    const audit = events.find((e) => e.seq === lastBefore + 1);
    expect(audit?.type).toBe('audit');
    expect(next.seq).toBe(lastBefore + 2);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = null;
  });
});
