// Runs the health checks on a timer and feeds the systemd watchdog only while every critical check
// passes. This is the point of a watchdog: a bare setInterval would keep pinging from a process whose
// database is wedged or whose readers are gone, and systemd would never restart it.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CheckOutcome, CheckSeverity, HealthCheck } from './checks.js';
import { errorMessage } from './checks.js';

export interface CheckReport extends CheckOutcome {
  name: string;
  severity: CheckSeverity;
}

export interface HealthReport {
  /** True when every critical check passed. */
  healthy: boolean;
  /** Names of failing warning-level checks. */
  warnings: string[];
  checks: CheckReport[];
  /** Wall-clock epoch ms of this run. */
  at: number;
}

/** What the monitor needs from sd_notify; SdNotifier implements it. */
export interface WatchdogSink {
  watchdog(): Promise<void>;
  status(text: string): Promise<void>;
}

export interface HealthMonitorOptions {
  checks: HealthCheck[];
  logger: Logger;
  /** How often the checks run; at most half the systemd watchdog period. */
  intervalMs: number;
  /** A check that has not answered by then counts as failed (a hung DB must stop the watchdog). */
  checkTimeoutMs?: number;
  watchdog?: WatchdogSink;
  /** Called with every report (metrics gauges). */
  onReport?: (report: HealthReport) => void;
}

export interface HealthMonitorEvents {
  /** After every run. */
  report: [report: HealthReport];
}

export class HealthMonitor extends EventEmitter<HealthMonitorEvents> {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<HealthReport> | null = null;
  private last: HealthReport | null = null;

  constructor(private readonly options: HealthMonitorOptions) {
    super();
    this.log = options.logger.child({ ns: 'health' });
  }

  start(): void {
    if (this.timer) return;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The latest report, or null before the first run has finished. */
  report(): HealthReport | null {
    return this.last;
  }

  /** Runs every check once (a run already in flight is shared, never doubled). */
  runOnce(): Promise<HealthReport> {
    if (!this.running) {
      this.running = this.runChecks().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async runChecks(): Promise<HealthReport> {
    const timeoutMs = this.options.checkTimeoutMs ?? Math.max(1_000, Math.floor(this.options.intervalMs / 2));
    const checks = await Promise.all(this.options.checks.map((check) => runWithTimeout(check, timeoutMs)));
    const healthy = checks.every((c) => c.ok || c.severity !== 'critical');
    const report: HealthReport = {
      healthy,
      warnings: checks.filter((c) => !c.ok && c.severity === 'warning').map((c) => c.name),
      checks,
      at: Date.now(),
    };
    this.publish(report);
    if (healthy) {
      await this.options.watchdog?.watchdog();
    }
    await this.options.watchdog?.status(statusLine(report));
    return report;
  }

  private publish(report: HealthReport): void {
    const wasHealthy = this.last?.healthy;
    this.last = report;
    if (wasHealthy !== report.healthy) {
      const failing = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      if (report.healthy) this.log.info({ warnings: report.warnings }, 'healthy');
      else this.log.error({ failing }, 'unhealthy: watchdog no longer fed');
    }
    try {
      this.options.onReport?.(report);
    } catch (error) {
      this.log.warn({ err: error }, 'health report listener failed');
    }
    this.emit('report', report);
  }
}

/** The STATUS= line systemctl shows: short, and naming what is wrong. */
export function statusLine(report: HealthReport): string {
  const failing = report.checks.filter((c) => !c.ok);
  if (failing.length === 0) return 'healthy';
  const names = failing.map((c) => `${c.name}: ${c.detail}`).join('; ');
  return `${report.healthy ? 'degraded' : 'UNHEALTHY'}: ${names}`;
}

async function runWithTimeout(check: HealthCheck, timeoutMs: number): Promise<CheckReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    const outcome = await Promise.race([check.run(), timeout]);
    return { name: check.name, severity: check.severity, ...outcome };
  } catch (error) {
    return { name: check.name, severity: check.severity, ok: false, detail: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}
