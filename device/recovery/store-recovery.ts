// Opening the event store at boot, whatever state the last power cut left it in. A damaged
// database (truncated file, garbage pages, a header that is not SQLite) must not keep the door
// offline: the store's salvage carries every readable unsent event into a fresh database with its
// id and seq, and here the damaged files are moved into `<stateDir>/quarantine/` (timestamped,
// never deleted: they are evidence and a technician may recover more from them), the roster is left
// without a cursor so the next sync pulls it whole from upstream, and the caller raises the alarm.
// A torn WAL needs none of this: SQLite drops frames whose checksum does not match.
import { mkdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { type SalvageReport, type Store, type StoreOptions, StoreCorruptError } from '../../sync/store/index.js';
import type { HealthCheck } from '../health/index.js';
import { openStoreWithKeyFile } from '../security/template-key.js';
import { fsyncDirectory } from '../util/safe-write.js';
import { alarmRaised } from '../system-events.js';
import type { EventDraft } from '../../sync/store/index.js';

export const DB_CORRUPT_REASON = 'db_corrupt';

export interface StoreRecoveryReport {
  /** Where the damaged database now lives (its -wal and -shm beside it, same prefix). */
  quarantinedAs: string;
  salvagedEvents: number;
  highWaterSeq: number;
  unreadableRanges: Array<[number, number]>;
  gaps: Array<[number, number]>;
  /** The fresh store has no roster cursor: the next sync pulls the whole roster. */
  rosterFullPullPending: true;
  /** Wall ms of the recovery (for status; the alarm event carries its own time). */
  atWallMs: number;
}

export interface OpenedStore {
  store: Store;
  /** Non-null when the database was damaged and rebuilt at this boot. */
  recovery: StoreRecoveryReport | null;
}

/** Moves `<file>`, `<file>-wal`, `<file>-shm` (those that exist) into `folder`, same names. */
export async function moveIntoQuarantine(file: string, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const target = join(folder, basename(file));
  for (const suffix of ['-wal', '-shm', '']) {
    await rename(`${file}${suffix}`, `${target}${suffix}`).catch((error: unknown) => {
      if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT')) throw error;
    });
  }
  await fsyncDirectory(folder);
  await fsyncDirectory(dirname(file));
  return target;
}

export function quarantineFolder(stateDir: string): string {
  return join(stateDir, 'quarantine');
}

/**
 * Opens the store through `open` (the kiosk's usual key handling). Only when that fails with
 * StoreCorruptError is the database quarantined, its unsent events salvaged into a fresh one under
 * the current key, and the damaged files moved into `<stateDir>/quarantine/`. Other failures
 * (wrong key, newer schema, unreadable key file) still refuse to start: they are not damage, and
 * rebuilding would throw good data away.
 */
export async function openStoreRecovering(
  open: () => Promise<Store>,
  fallback: { keyFile: string; stateDir: string; storeOptions: Omit<StoreOptions, 'cipher'> },
): Promise<OpenedStore> {
  try {
    return { store: await open(), recovery: null };
  } catch (error) {
    if (!(error instanceof StoreCorruptError)) throw error;
  }
  const { keyFile, stateDir, storeOptions } = fallback;
  const opened = await openStoreWithKeyFile(keyFile, storeOptions, { recoverCorrupt: true });
  if (opened.recovered === null) return { store: opened.store, recovery: null };
  const salvage: SalvageReport = opened.recovered;
  const quarantinedAs = await moveIntoQuarantine(salvage.quarantinedAs, quarantineFolder(stateDir));
  const recovery: StoreRecoveryReport = {
    quarantinedAs,
    salvagedEvents: salvage.salvagedEvents,
    highWaterSeq: salvage.highWaterSeq,
    unreadableRanges: salvage.unreadableRanges,
    gaps: salvage.gaps,
    rosterFullPullPending: true,
    atWallMs: storeOptions.clock.wallMs(),
  };
  storeOptions.logger.child({ ns: 'store-recovery' }).error(recovery, 'ALARM: database was damaged; quarantined, unsent events salvaged, roster to be pulled again');
  return { store: opened.store, recovery };
}

/** The alarm event the composition root records once the kiosk is up. */
export function dbCorruptAlarmDraft(recovery: StoreRecoveryReport): EventDraft {
  const { quarantinedAs, salvagedEvents, highWaterSeq, unreadableRanges, gaps } = recovery;
  return alarmRaised(DB_CORRUPT_REASON, { quarantinedAs, salvagedEvents, highWaterSeq, unreadableRanges, gaps, rosterFullPullPending: true });
}

/** A warning-level health check: degraded for the rest of this boot after a rebuilt database. */
export function storeRecoveryCheck(recovery: () => StoreRecoveryReport | null | undefined): HealthCheck {
  return {
    name: 'store-recovery',
    severity: 'warning',
    run: () => {
      const report = recovery();
      if (report === null || report === undefined) return Promise.resolve({ ok: true, value: 0, detail: 'database opened cleanly' });
      return Promise.resolve({
        ok: false,
        value: report.salvagedEvents,
        detail: `database was damaged at boot: quarantined as ${report.quarantinedAs}, ${report.salvagedEvents} unsent events salvaged; roster will be pulled again`,
      });
    },
  };
}

