// Prometheus metrics of one kiosk. The registry is created by the composition root and passed in,
// never prom-client's global default: two kiosks in one test process (or a test and the CLI) must
// not share counters, and nothing registers behind our back on import.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface KioskMetricsOptions {
  /** Adds Node's process metrics (CPU, RSS, event loop lag, handles) to the registry. */
  processMetrics?: boolean;
  /** Extra labels on every series, e.g. { device: 'gate-1' }. */
  defaultLabels?: Record<string, string>;
}

export type DecisionResult = 'granted' | 'denied';

/** Seconds; door decisions should take tens of milliseconds, face ones a few hundred. */
const DECISION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class KioskMetrics {
  readonly registry: Registry;
  private readonly decisions: Counter<'result' | 'reason'>;
  private readonly decisionSeconds: Histogram<'result'>;
  private readonly outboxPending: Gauge;
  private readonly outboxQuarantined: Gauge;
  private readonly lastSyncSeconds: Gauge;
  private readonly readersConnected: Gauge;
  private readonly readersTotal: Gauge;
  private readonly clockTrusted: Gauge;
  private readonly diskFreeBytes: Gauge;
  private readonly templates: Gauge<'modality'>;
  private readonly healthCheck: Gauge<'check'>;

  constructor(registry: Registry, options: KioskMetricsOptions = {}) {
    this.registry = registry;
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'esik_' });
    const registers = [registry];
    this.decisions = new Counter({
      name: 'esik_decisions_total',
      help: 'Door decisions by result and reason (reason "none" for a plain grant)',
      labelNames: ['result', 'reason'],
      registers,
    });
    this.decisionSeconds = new Histogram({
      name: 'esik_decision_duration_seconds',
      help: 'Time from presentation to recorded decision',
      labelNames: ['result'],
      buckets: DECISION_BUCKETS,
      registers,
    });
    this.outboxPending = gauge(registry, 'esik_outbox_pending_events', 'Events recorded but not yet accepted upstream');
    this.outboxQuarantined = gauge(registry, 'esik_outbox_quarantined_events', 'Events the upstream rejected');
    this.lastSyncSeconds = gauge(
      registry,
      'esik_last_successful_sync_timestamp_seconds',
      'Wall-clock time of the last successful upstream exchange (0 = never)',
    );
    this.readersConnected = gauge(registry, 'esik_readers_connected', 'Credential readers currently connected');
    this.readersTotal = gauge(registry, 'esik_readers_configured', 'Credential readers in the configuration');
    this.clockTrusted = gauge(registry, 'esik_clock_trusted', '1 when the wall clock is known to be synchronised');
    this.diskFreeBytes = gauge(registry, 'esik_disk_free_bytes', 'Free bytes on the data volume');
    this.templates = new Gauge({
      name: 'esik_templates',
      help: 'Biometric templates loaded in the matcher',
      labelNames: ['modality'],
      registers,
    });
    this.healthCheck = new Gauge({
      name: 'esik_health_check_ok',
      help: '1 when the named health check passed on its last run',
      labelNames: ['check'],
      registers,
    });
    this.lastSyncSeconds.set(0);
  }

  observeDecision(result: DecisionResult, reason: string | null, durationMs: number): void {
    this.decisions.inc({ result, reason: reason ?? 'none' });
    if (Number.isFinite(durationMs) && durationMs >= 0) {
      this.decisionSeconds.observe({ result }, durationMs / 1000);
    }
  }

  setOutbox(pending: number, quarantined: number): void {
    this.outboxPending.set(pending);
    this.outboxQuarantined.set(quarantined);
  }

  markSyncSucceeded(wallMs: number): void {
    this.lastSyncSeconds.set(wallMs / 1000);
  }

  setReaders(connected: number, configured: number): void {
    this.readersConnected.set(connected);
    this.readersTotal.set(configured);
  }

  setClockTrusted(trusted: boolean): void {
    this.clockTrusted.set(trusted ? 1 : 0);
  }

  setDiskFree(bytes: number): void {
    this.diskFreeBytes.set(bytes);
  }

  setTemplateCount(modality: string, count: number): void {
    this.templates.set({ modality }, count);
  }

  setHealthCheck(check: string, ok: boolean): void {
    this.healthCheck.set({ check }, ok ? 1 : 0);
  }

  /** Prometheus text exposition of everything in the registry. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  return new Gauge({ name, help, registers: [registry] });
}
