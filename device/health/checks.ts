// Small named health checks. Each one answers one question quickly and explains itself; the
// HealthMonitor composes them. A "critical" failure stops the systemd watchdog (so a wedged kiosk is
// restarted); a "warning" is reported but never restarts the door.
import { statfs } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export type CheckSeverity = 'critical' | 'warning';

export interface CheckOutcome {
  ok: boolean;
  /** One line a technician can act on. */
  detail: string;
  /** The measured figure, when there is one (ms of lag, free bytes, readers connected). */
  value?: number;
}

export interface HealthCheck {
  readonly name: string;
  readonly severity: CheckSeverity;
  run(): Promise<CheckOutcome>;
}

/** Worst event-loop delay since the last reading, in milliseconds. */
export type LagSource = () => number;

/** Real lag source: Node's native histogram, reset on every reading so each check sees its own window. */
export function nativeEventLoopLag(resolutionMs = 20): { read: LagSource; stop: () => void } {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    read: () => {
      const maxMs = histogram.max / 1e6;
      histogram.reset();
      return Number.isFinite(maxMs) ? maxMs : 0;
    },
    stop: () => histogram.disable(),
  };
}

export function eventLoopLagCheck(readLagMs: LagSource, maxLagMs: number): HealthCheck {
  return {
    name: 'event-loop',
    severity: 'critical',
    run: () => {
      const lag = readLagMs();
      const ok = lag <= maxLagMs;
      return Promise.resolve({
        ok,
        value: Math.round(lag),
        detail: ok ? `max lag ${Math.round(lag)} ms` : `event loop blocked ${Math.round(lag)} ms (limit ${maxLagMs} ms)`,
      });
    },
  };
}

/** `probe` performs a tiny real write (a kv row in its own transaction) and rejects when it cannot. */
export function databaseWritableCheck(probe: () => Promise<void>): HealthCheck {
  return {
    name: 'database',
    severity: 'critical',
    run: async () => {
      try {
        await probe();
        return { ok: true, detail: 'writable' };
      } catch (error) {
        return { ok: false, detail: `not writable: ${errorMessage(error)}` };
      }
    },
  };
}

export interface ReaderHealth {
  id: string;
  status: string;
  /** A reader the configuration marks optional does not fail the check. */
  required: boolean;
}

export function readersAliveCheck(listReaders: () => ReaderHealth[]): HealthCheck {
  return {
    name: 'readers',
    severity: 'critical',
    run: () => {
      const readers = listReaders();
      const connected = readers.filter((r) => r.status === 'connected');
      const missing = readers.filter((r) => r.required && r.status !== 'connected');
      return Promise.resolve({
        ok: missing.length === 0,
        value: connected.length,
        detail:
          missing.length === 0
            ? `${connected.length}/${readers.length} connected`
            : `not connected: ${missing.map((r) => `${r.id} (${r.status})`).join(', ')}`,
      });
    },
  };
}

export type FreeBytesSource = (path: string) => Promise<number>;

export async function statfsFreeBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  return Number(stats.bavail) * Number(stats.bsize);
}

export function diskFreeCheck(path: string, minFreeBytes: number, freeBytes: FreeBytesSource = statfsFreeBytes): HealthCheck {
  return {
    name: 'disk',
    severity: 'critical',
    run: async () => {
      try {
        const free = await freeBytes(path);
        const ok = free >= minFreeBytes;
        return {
          ok,
          value: free,
          detail: `${formatBytes(free)} free on ${path}${ok ? '' : ` (floor ${formatBytes(minFreeBytes)})`}`,
        };
      } catch (error) {
        return { ok: false, detail: `cannot stat ${path}: ${errorMessage(error)}` };
      }
    },
  };
}

/** An untrusted clock is a warning: doors keep working, events are flagged timeTrusted=false. */
export function clockTrustedCheck(isTrusted: () => boolean): HealthCheck {
  return {
    name: 'clock',
    severity: 'warning',
    run: () => {
      const ok = isTrusted();
      return Promise.resolve({ ok, value: ok ? 1 : 0, detail: ok ? 'synchronised' : 'not synchronised (no NTP yet)' });
    },
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
