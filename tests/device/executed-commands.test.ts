// ExecutedCommandLog on a real SQLite store: a command id is committed before the command runs,
// so after a reopen (a restart) the same id is answered from the record and never run again; a
// command whose id cannot be recorded is not run at all. (tests/fault/remote-command-kill.test.ts
// checks the same through the real kiosk process, a real hub and kill -9.)
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXECUTED_COMMANDS_KEY, ExecutedCommandLog, INTERRUPTED_ACK } from '../../device/wiring/executed-commands.js';
import type { CommandAck, HubCommand, Store } from '../../sync/index.js';
import { openKioskStore, silentLogger, tempDir } from '../sync/helpers.js';

const KEY = '11'.repeat(32);

function doorOpen(id: string): HubCommand {
  return { id, kind: 'door.open', args: { door: 'main' }, createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 600_000).toISOString() };
}

describe('ExecutedCommandLog', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let store: Store;
  const path = (): string => join(tmp.dir, 'kiosk.db');
  const logOn = (s: Store): ExecutedCommandLog => new ExecutedCommandLog({ state: s.state, logger: silentLogger, wallMs: () => Date.now(), trustedWallMs: () => Date.now() });

  beforeEach(async () => {
    tmp = await tempDir('esik-cmd-');
    store = await openKioskStore(path(), 'k1', KEY);
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await tmp.cleanup();
  });

  it('runs a command once; after a reopen the stored ack answers and nothing runs', async () => {
    let runs = 0;
    const run = (): Promise<CommandAck> => Promise.resolve({ ok: true, result: { run: ++runs } });
    const command = doorOpen('0190a000-0000-7000-8000-000000000001');
    expect(await logOn(store).runOnce(command, run)).toEqual({ ok: true, result: { run: 1 } });
    await store.close();
    store = await openKioskStore(path(), 'k1', KEY);
    expect(await logOn(store).runOnce(command, run)).toEqual({ ok: true, result: { run: 1 } });
    expect(runs).toBe(1);
  });

  it('the id is committed before the command runs: a crash mid-run is answered as interrupted, not re-run', async () => {
    const command = doorOpen('0190a000-0000-7000-8000-000000000002');
    let seenDuringRun: unknown;
    // What a restart would find if the kiosk died while this runs: read from a second connection.
    await logOn(store).runOnce(command, async () => {
      const other = await openKioskStore(path(), 'k1', KEY);
      seenDuringRun = await other.state.get(EXECUTED_COMMANDS_KEY);
      await other.close();
      return { ok: true };
    });
    expect(seenDuringRun).toEqual([expect.objectContaining({ id: command.id, ack: null })]);
    await store.state.set(EXECUTED_COMMANDS_KEY, seenDuringRun);
    let runs = 0;
    expect(await logOn(store).runOnce(command, () => Promise.resolve({ ok: true, result: ++runs }))).toEqual(INTERRUPTED_ACK);
    expect(runs).toBe(0);
  });

  it('a command whose id cannot be recorded is not run', async () => {
    await store.close(); // every write now fails
    let runs = 0;
    const ack = await logOn(store).runOnce(doorOpen('0190a000-0000-7000-8000-000000000003'), () => Promise.resolve({ ok: true, result: ++runs }));
    expect(ack.ok).toBe(false);
    expect(runs).toBe(0);
  });
});
