// The small pieces behind the fault suite, in process: the quarantine move keeps every file (main,
// -wal, -shm) under its timestamped name, the recovery health check degrades only after a rebuild,
// and the test clock override refuses a malformed state file with a clear error.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clockOverrideFromEnv } from '../../device/clock-override.js';
import { storeRecoveryCheck, type StoreRecoveryReport } from '../../device/recovery/index.js';
import { quarantineDatabase } from '../../sync/store/index.js';

let dir: string | null = null;
afterEach(async () => {
  if (dir !== null) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('store recovery pieces', () => {
  it('quarantine moves the database with its -wal and -shm, never deleting any', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-quarantine-'));
    const damaged = join(dir, 'esik.db');
    for (const suffix of ['', '-wal', '-shm']) await writeFile(`${damaged}${suffix}`, `bytes${suffix}`);
    const moved = await quarantineDatabase(damaged, join(dir, 'quarantine'), new Date('2026-11-22T22:00:00.000Z'));
    expect(moved).toBe(join(dir, 'quarantine', 'esik.db.corrupt-2026-11-22T22-00-00-000Z'));
    expect((await readdir(join(dir, 'quarantine'))).sort()).toEqual(['esik.db.corrupt-2026-11-22T22-00-00-000Z', 'esik.db.corrupt-2026-11-22T22-00-00-000Z-shm', 'esik.db.corrupt-2026-11-22T22-00-00-000Z-wal']);
    expect((await readdir(dir)).filter((name) => name.startsWith('esik.db'))).toEqual([]);
  });

  it('the store-recovery health check is a warning that fails only after a rebuilt database', async () => {
    let report: StoreRecoveryReport | null = null;
    const check = storeRecoveryCheck(() => report);
    expect(check.severity).toBe('warning');
    expect((await check.run()).ok).toBe(true);
    report = { quarantinedAs: '/x/quarantine/esik.db.corrupt-1', salvagedEvents: 7, highWaterSeq: 9, unreadableRanges: [], gaps: [[8, 9]], rosterFullPullPending: true, atWallMs: 0 };
    const outcome = await check.run();
    expect(outcome).toMatchObject({ ok: false, value: 7 });
    expect(outcome.detail).toContain('7 unsent events salvaged');
  });

  it('the test clock override is off without its variable and refuses a malformed state file', async () => {
    expect(clockOverrideFromEnv({})).toEqual({});
    dir = await mkdtemp(join(tmpdir(), 'esik-clock-'));
    const file = join(dir, 'clock.json');
    await writeFile(file, '{"offsetMs": "soon"}');
    expect(() => clockOverrideFromEnv({ ESIK_FAKE_CLOCK_FILE: file })).toThrow(/expected \{"offsetMs": number, "ntpSynced": boolean\}/);
    await writeFile(file, JSON.stringify({ offsetMs: -1000, ntpSynced: true }));
    const override = clockOverrideFromEnv({ ESIK_FAKE_CLOCK_FILE: file });
    expect(Math.abs((override.now?.() ?? 0) - (Date.now() - 1000))).toBeLessThan(1000);
    expect(await override.ntpProbe?.()).toBe(true);
  });
});
