// Health, metrics and the systemd contract plugged into the kiosk: the checks that gate the watchdog,
// the loopback health/metrics endpoint, READY=1 once the kiosk has recorded device.started, and
// STOPPING=1 at shutdown. Decisions reach the Prometheus counters through the kiosk's 'decision' event.
import { z } from 'zod';
import { audit } from '../admin/index.js';
import type { KioskServices } from '../services.js';
import {
  HealthMonitor,
  HealthServer,
  clockTrustedCheck,
  databaseWritableCheck,
  diskFreeCheck,
  eventLoopLagCheck,
  nativeEventLoopLag,
  readersAliveCheck,
  type HealthReport,
} from '../health/index.js';
import type { KioskMetrics } from '../metrics.js';
import { storeRecoveryCheck } from '../recovery/index.js';
import { SdNotifier, notifyTransportFromEnv, watchdogIntervalMs, type NotifyTransport } from '../systemd/notify.js';
import { runningVersion } from '../update/version.js';

export interface HealthWiringOptions {
  /** Defaults to the real sd_notify transport when NOTIFY_SOCKET is set. */
  notifyTransport?: NotifyTransport;
  env?: NodeJS.ProcessEnv;
  version?: string;
  intervalMs?: number;
  maxLagMs?: number;
  minFreeBytes?: number;
}

export interface HealthHandle {
  monitor: HealthMonitor;
  metrics: KioskMetrics;
  notifier: SdNotifier;
  server: HealthServer;
  /** Bound port of the health endpoint (config port 0 picks a free one). */
  port: number;
}

const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_MAX_LAG_MS = 2_000;
const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;

export async function attachHealth(services: KioskServices, options: HealthWiringOptions = {}): Promise<HealthHandle> {
  const { config, logger, kiosk } = services;
  const env = options.env ?? process.env;
  const { metrics } = services;
  const notifier = new SdNotifier(options.notifyTransport ?? notifyTransportFromEnv(env), logger);
  const lag = nativeEventLoopLag();
  const monitor = buildMonitor(services, options, { metrics, notifier, readLag: lag.read, env });
  kiosk.on('decision', (decision) => {
    const ms = decision.actuatedMonoMs - decision.presentedMonoMs;
    metrics.observeDecision(decision.outcome === 'grant' ? 'granted' : 'denied', decision.reason, ms);
  });
  // Checks and READY only once start-up is complete: main records device.started after readers and
  // HTTP are up. Until then /health answers "starting" (503), which the updater reads as not yet live.
  kiosk.on('event', (event) => {
    if (event.type !== 'device.started') return;
    monitor.start();
    const ready = (): Promise<void> => notifier.ready(`${config.device.id}: started`);
    void monitor.runOnce().then(ready, ready);
  });
  const server = new HealthServer({
    host: config.health.host,
    port: config.health.port,
    logger,
    identity: { version: options.version ?? runningVersion(), instanceId: services.bootId, pid: process.pid, startedAt: new Date().toISOString() },
    report: () => monitor.report(),
    metrics: () => metrics.exposition(),
  });
  const port = await server.listen();
  services.addStatus('health', () => monitor.report());
  registerUpdateAudit(services);
  services.onShutdown(async () => {
    await notifier.stopping('stopping: doors to safe state');
    monitor.stop();
    lag.stop();
    await server.close();
  });
  return { monitor, metrics, notifier, server, port };
}

interface MonitorParts {
  metrics: KioskMetrics;
  notifier: SdNotifier;
  readLag: () => number;
  env: NodeJS.ProcessEnv;
}

/** The checks that gate the watchdog, run at most every half watchdog period. */
function buildMonitor(services: KioskServices, options: HealthWiringOptions, parts: MonitorParts): HealthMonitor {
  const { config, logger, store, clock } = services;
  const watchdogMs = watchdogIntervalMs(parts.env);
  // systemd's advice: ping at half the watchdog period, so one slow run does not kill the kiosk.
  const intervalMs = Math.min(options.intervalMs ?? DEFAULT_INTERVAL_MS, watchdogMs === null ? Infinity : Math.floor(watchdogMs / 2));
  const readers = (): Array<{ id: string; status: string; required: boolean }> =>
    [...services.readers.values()].map((reader) => ({ id: reader.id, status: reader.status(), required: true }));
  return new HealthMonitor({
    logger,
    intervalMs,
    watchdog: parts.notifier,
    checks: [
      eventLoopLagCheck(parts.readLag, options.maxLagMs ?? DEFAULT_MAX_LAG_MS),
      databaseWritableCheck(() => store.state.set('health.probe', clock.wallMs())),
      readersAliveCheck(readers),
      diskFreeCheck(config.device.stateDir, options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES),
      clockTrustedCheck(() => clock.trusted()),
      storeRecoveryCheck(() => services.storeRecovery),
    ],
    onReport: (report) => refreshGauges(services, parts.metrics, report),
  });
}

/** Gauges that follow each health run; the outbox depth is read from the store off the hot path. */
function refreshGauges(services: KioskServices, metrics: KioskMetrics, report: HealthReport): void {
  for (const check of report.checks) {
    metrics.setHealthCheck(check.name, check.ok);
    if (check.name === 'disk' && check.value !== undefined) metrics.setDiskFree(check.value);
  }
  const readers = [...services.readers.values()];
  metrics.setReaders(readers.filter((r) => r.status() === 'connected').length, readers.length);
  metrics.setClockTrusted(services.clock.trusted());
  const byModality = new Map<string, number>([['face', 0], ['palm', 0]]);
  for (const template of services.roster.roster.templates) byModality.set(template.modality, (byModality.get(template.modality) ?? 0) + 1);
  for (const [modality, count] of byModality) metrics.setTemplateCount(modality, count);
  services.store.outbox.backlog().then(
    (backlog) => metrics.setOutbox(backlog.pending, backlog.quarantined),
    (error: unknown) => services.logger.warn({ err: error, ns: 'health' }, 'outbox depth unavailable'),
  );
}

const UpdateAuditBody = z.object({
  actor: z.string().min(1).max(64),
  action: z.string().regex(/^update\.[a-z_-]{1,40}$/),
  detail: z.record(z.string(), z.unknown()).default({}),
});

/** `esik update` and `esik rollback` record their audit events through the running daemon. */
function registerUpdateAudit(services: KioskServices): void {
  services.admin.post('/v1/update/audit', async (request, reply) => {
    const body = UpdateAuditBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ message: z.prettifyError(body.error) });
    const recorded = await audit(services, body.data.actor, body.data.action, body.data.detail);
    if (recorded === null) return reply.code(503).send({ message: 'the event store is not writable' });
    return { recorded: true };
  });
}
