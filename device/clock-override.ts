// A wall clock the fault suite can move under a real kiosk child process. A Pi boots in 1970, or
// years off, or NTP steps it backwards; the suite must show what the kiosk records then, and it
// cannot change the host's clock. Only when ESIK_FAKE_CLOCK_FILE is set: the file holds JSON
// {"offsetMs": number, "ntpSynced": boolean}, re-read whenever it changes, and stands in for both
// the system clock's error and `timedatectl`'s NTPSynchronized. Without the variable nothing changes.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { KioskClockOptions } from './clock.js';

const FakeClockState = z.object({ offsetMs: z.number().finite(), ntpSynced: z.boolean() });
type FakeClockState = z.infer<typeof FakeClockState>;

/** How often the fake NTP state is polled (the real probe runs once a minute). */
const FAKE_PROBE_INTERVAL_MS = 100;

export class FakeClockFileError extends Error {
  override name = 'FakeClockFileError';
}

function readState(file: string): FakeClockState {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FakeClockFileError(`ESIK_FAKE_CLOCK_FILE ${file} cannot be read as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = FakeClockState.safeParse(raw);
  if (!parsed.success) throw new FakeClockFileError(`ESIK_FAKE_CLOCK_FILE ${file}: expected {"offsetMs": number, "ntpSynced": boolean}`);
  return parsed.data;
}

/** Clock options for KioskClock from the environment; empty (the real clock) when unset. */
export function clockOverrideFromEnv(env: NodeJS.ProcessEnv): Pick<KioskClockOptions, 'now' | 'ntpProbe' | 'probeIntervalMs'> {
  const file = env.ESIK_FAKE_CLOCK_FILE;
  if (file === undefined || file === '') return {};
  let state = readState(file);
  let seenMtimeMs = statSync(file).mtimeMs;
  const current = (): FakeClockState => {
    // A torn write by the test is kept out by its rename; a missing file keeps the last state.
    const mtimeMs = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    if (mtimeMs !== undefined && mtimeMs !== seenMtimeMs) {
      seenMtimeMs = mtimeMs;
      state = readState(file);
    }
    return state;
  };
  return {
    now: () => Date.now() + current().offsetMs,
    ntpProbe: () => Promise.resolve(current().ntpSynced),
    probeIntervalMs: FAKE_PROBE_INTERVAL_MS,
  };
}
