// The kiosk's notion of time. A Pi has no RTC: it may boot in 1970 or in last week until NTP
// catches up, so every event carries whether its wall time was trustworthy. monoMs orders events
// within one boot whatever the wall clock does.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import type { EventClock } from '../sync/store/index.js';

/** A wall time before this is a clock that was never set (a Pi without RTC boots in 1970). */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(2024, 0, 1);
/** Wall time moving against monotonic time by more than this is a jump (NTP step, manual set). */
const JUMP_TOLERANCE_MS = 2000;

export type NtpProbe = () => Promise<boolean>;

/** `timedatectl show -p NTPSynchronized --value` → "yes"; false where systemd is absent. */
export const timedatectlProbe: NtpProbe = () =>
  new Promise((resolvePromise) => {
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 2000 }, (error, stdout) => {
      resolvePromise(error === null && stdout.trim() === 'yes');
    });
  });

export interface KioskClockOptions {
  utcOffsetMinutes: number;
  logger?: Logger;
  /** Defaults to timedatectl; tests inject their own. */
  ntpProbe?: NtpProbe;
  /** How often the NTP state is checked off the hot path. */
  probeIntervalMs?: number;
  /** Injected for tests; defaults to Date.now and process.hrtime. */
  now?: () => number;
  hrtimeMs?: () => number;
}

export class KioskClock implements EventClock {
  private readonly offsetMinutes: number;
  private readonly now: () => number;
  private readonly hrtimeMs: () => number;
  private readonly startHr: number;
  private readonly logger: Logger | undefined;
  private readonly ntpProbe: NtpProbe;
  private readonly probeIntervalMs: number;
  /** Correction added to the system clock after a hub Date header, when NTP is absent. */
  private hubOffsetMs = 0;
  private synced = false;
  private jumpSeen = false;
  /** wall - mono at the last observation: a change beyond tolerance is a jump. */
  private lastSkew: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: KioskClockOptions) {
    this.offsetMinutes = options.utcOffsetMinutes;
    this.now = options.now ?? Date.now;
    this.hrtimeMs = options.hrtimeMs ?? (() => Number(process.hrtime.bigint() / 1000n) / 1000);
    this.startHr = this.hrtimeMs();
    this.logger = options.logger?.child({ ns: 'clock' });
    this.ntpProbe = options.ntpProbe ?? timedatectlProbe;
    this.probeIntervalMs = options.probeIntervalMs ?? 60_000;
    this.lastSkew = this.now() - this.monoMs();
  }

  wallMs(): number {
    return this.now() + this.hubOffsetMs;
  }

  monoMs(): number {
    return this.hrtimeMs() - this.startHr;
  }

  utcOffsetMinutes(): number {
    return this.offsetMinutes;
  }

  /** True after NTP or a hub Date header, while the year is plausible and no jump happened since. */
  trusted(): boolean {
    this.observeJump();
    const wall = this.wallMs();
    return this.synced && !this.jumpSeen && wall >= EARLIEST_PLAUSIBLE_MS;
  }

  /** Called by the sync client with the hub's Date header (millisecond epoch). */
  setOffsetFromHub(dateHeaderMs: number): void {
    if (!Number.isFinite(dateHeaderMs) || dateHeaderMs < EARLIEST_PLAUSIBLE_MS) return;
    const system = this.now();
    // An HTTP Date has one-second resolution: only correct a clock that is off by more than that.
    this.hubOffsetMs = Math.abs(dateHeaderMs - system) > 1500 ? dateHeaderMs - system : 0;
    this.markSynced('hub');
  }

  /** Starts the periodic NTP check; the hot path never waits for it. */
  start(): void {
    if (this.timer !== null) return;
    const check = (): void => {
      this.ntpProbe().then(
        (synced) => {
          if (synced) {
            // NTP sets the system clock itself: drop any hub correction.
            this.hubOffsetMs = 0;
            this.markSynced('ntp');
          }
        },
        (error: unknown) => this.logger?.warn({ err: error }, 'NTP state check failed'),
      );
    };
    check();
    this.timer = setInterval(check, this.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private markSynced(source: 'ntp' | 'hub'): void {
    if (!this.synced || this.jumpSeen) this.logger?.info({ source }, 'wall clock trusted');
    this.synced = true;
    this.jumpSeen = false;
    this.lastSkew = this.wallMs() - this.monoMs();
  }

  private observeJump(): void {
    const skew = this.wallMs() - this.monoMs();
    if (Math.abs(skew - this.lastSkew) > JUMP_TOLERANCE_MS) {
      if (this.synced && !this.jumpSeen) this.logger?.warn({ jumpMs: skew - this.lastSkew }, 'wall clock jumped; untrusted until the next sync');
      this.jumpSeen = true;
      this.lastSkew = skew;
    }
  }
}
