// The loopback health endpoint and the Prometheus exposition, on a real socket (port 0).
import { Registry, register as globalRegistry } from 'prom-client';
import pino from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer, type HealthReport } from '../../device/health/index.js';
import { KioskMetrics } from '../../device/metrics.js';
import { LOG_REDACT } from '../../device/systemd/logger.js';

describe('health endpoint and metrics', () => {
  let server: HealthServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  async function serve(report: HealthReport | null, metrics: KioskMetrics): Promise<string> {
    server = new HealthServer({
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      identity: { version: '1.2.3', instanceId: 'boot-1', pid: process.pid, startedAt: '2026-11-22T00:00:00.000Z' },
      report: () => report,
      metrics: () => metrics.exposition(),
    });
    return `http://127.0.0.1:${await server.listen()}`;
  }

  it('answers 200 when healthy, 503 when unhealthy or starting, with version and instance', async () => {
    const metrics = new KioskMetrics(new Registry(), { processMetrics: false });
    const healthy: HealthReport = { healthy: true, warnings: [], checks: [{ name: 'database', severity: 'critical', ok: true, detail: 'writable' }], at: 0 };
    let base = await serve(healthy, metrics);
    let response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'healthy', version: '1.2.3', instanceId: 'boot-1' });
    await server?.close();
    base = await serve({ ...healthy, healthy: false }, metrics);
    expect((await fetch(`${base}/health`)).status).toBe(503);
    await server?.close();
    base = await serve(null, metrics);
    response = await fetch(`${base}/health`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { status: string }).status).toBe('starting');
  });

  it('exposes decisions, latency, outbox, sync, readers, clock, disk and templates in its own registry', async () => {
    const metrics = new KioskMetrics(new Registry(), { defaultLabels: { device: 'gate-1' } });
    metrics.observeDecision('granted', null, 42);
    metrics.observeDecision('denied', 'outside_schedule', 7);
    metrics.observeDecision('denied', 'outside_schedule', 9);
    metrics.setOutbox(12, 1);
    metrics.markSyncSucceeded(1_700_000_000_000);
    metrics.setReaders(2, 3);
    metrics.setClockTrusted(false);
    metrics.setDiskFree(5_000_000);
    metrics.setTemplateCount('face', 310);
    const base = await serve(null, metrics);
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toContain('esik_decisions_total{result="denied",reason="outside_schedule",device="gate-1"} 2');
    expect(text).toContain('esik_decisions_total{result="granted",reason="none",device="gate-1"} 1');
    expect(text).toContain('esik_decision_duration_seconds_bucket{le="0.05",device="gate-1",result="granted"} 1');
    expect(text).toContain('esik_outbox_pending_events{device="gate-1"} 12');
    expect(text).toContain('esik_last_successful_sync_timestamp_seconds{device="gate-1"} 1700000000');
    expect(text).toContain('esik_readers_connected{device="gate-1"} 2');
    expect(text).toContain('esik_clock_trusted{device="gate-1"} 0');
    expect(text).toContain('esik_disk_free_bytes{device="gate-1"} 5000000');
    expect(text).toContain('esik_templates{modality="face",device="gate-1"} 310');
    expect(text).toContain('esik_process_resident_memory_bytes');
    expect(await globalRegistry.metrics()).not.toContain('esik_');
  });

  it('redacts tokens and keys from journald logs', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: LOG_REDACT }, sink);
    logger.info({ token: 'tok-1', sync: { token: 'tok-2', url: 'https://hub' }, headers: { authorization: 'Bearer tok-3' } }, 'x');
    const text = lines.join('');
    expect(text).not.toMatch(/tok-[123]/);
    expect(text).toContain('https://hub');
    expect(text).toContain('[redacted]');
  });
});
