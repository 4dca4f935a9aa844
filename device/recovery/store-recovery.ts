// What a rebuilt database means to the rest of the kiosk: the report device/kiosk/open-store.ts
// makes when it found the database damaged at boot (quarantined, unsent events salvaged, roster to
// be pulled again), the db_corrupt alarm the composition root records, and the health check that
// stays degraded for the rest of that boot.
import type { HealthCheck } from '../health/index.js';
import { alarmRaised } from '../system-events.js';
import type { EventDraft } from '../../sync/store/index.js';

export const DB_CORRUPT_REASON = 'db_corrupt';

export interface StoreRecoveryReport {
  /** Where the damaged database now lives, in `<stateDir>/quarantine/` (its -wal and -shm beside it, same prefix). */
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

