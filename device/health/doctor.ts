// `esik doctor`: every check a technician would otherwise do by hand over SSH, in one run. Works with
// the daemon running (asks it over the admin socket) or stopped (looks at files and devices itself).
import { z } from 'zod';
import { adminRequest, DaemonNotRunningError } from '../admin/index.js';
import { databasePath, type KioskConfig } from '../config/index.js';
import { errorMessage } from './checks.js';
import {
  checkClock,
  checkDataFolder,
  checkDatabase,
  checkDisk,
  checkModels,
  checkReader,
  checkUpstream,
  type DoctorFinding,
  type HidDeviceInfo,
} from './doctor-checks.js';

export type { DoctorFinding, DoctorStatus, HidDeviceInfo } from './doctor-checks.js';

export interface DoctorOptions {
  config: KioskConfig;
  socketPath: string;
  /** Pulse each door's relay through the daemon (audited). */
  relay: boolean;
  actor: string;
  now?: () => number;
  hidDevices?: () => Promise<HidDeviceInfo[]>;
  timeoutMs?: number;
}

export interface DoctorReport {
  ok: boolean;
  findings: DoctorFinding[];
}

const DaemonStatus = z.object({
  pid: z.number().optional(),
  uptimeS: z.number().optional(),
  readers: z.array(z.object({ id: z.string(), status: z.string() })).default([]),
  clock: z.object({ trusted: z.boolean() }).partial().optional(),
});
type DaemonStatus = z.infer<typeof DaemonStatus>;

async function daemonFinding(socketPath: string, timeoutMs: number): Promise<{ finding: DoctorFinding; status: DaemonStatus | null }> {
  try {
    const parsed = DaemonStatus.safeParse(await adminRequest(socketPath, 'GET', '/v1/status', undefined, timeoutMs));
    if (!parsed.success) return { finding: { name: 'daemon', status: 'warn', detail: 'running, but its status answer is not understood' }, status: null };
    const { pid, uptimeS } = parsed.data;
    return { finding: { name: 'daemon', status: 'pass', detail: `running (pid ${pid ?? '?'}, up ${uptimeS ?? '?'} s)` }, status: parsed.data };
  } catch (error) {
    const detail = error instanceof DaemonNotRunningError ? 'not running' : `not answering: ${errorMessage(error)}`;
    return {
      finding: { name: 'daemon', status: 'warn', detail, hint: '`sudo systemctl status esik`, `journalctl -u esik -n 100 -o cat`' },
      status: null,
    };
  }
}

async function relayFindings(options: DoctorOptions, daemonUp: boolean): Promise<DoctorFinding[]> {
  if (!options.relay) return [{ name: 'relay', status: 'skip', detail: 'not tested (use --relay to pulse each door; audited)' }];
  if (!daemonUp) {
    return [{ name: 'relay', status: 'fail', detail: 'the daemon is not running', hint: 'the relay test goes through the daemon so it is audited: start esik first' }];
  }
  const findings: DoctorFinding[] = [];
  for (const door of options.config.doors) {
    try {
      await adminRequest(options.socketPath, 'POST', '/v1/relay/test', { actor: options.actor, door: door.name, direction: 'in' });
      findings.push({ name: `relay:${door.name}`, status: 'pass', detail: 'pulsed; listen for the click and watch the lock', hint: 'no click: check the relay wiring, NO/NC and activeLow in the config' });
    } catch (error) {
      findings.push({ name: `relay:${door.name}`, status: 'fail', detail: errorMessage(error), hint: 'see `journalctl -u esik | grep relay`' });
    }
  }
  return findings;
}

async function healthEndpointFinding(config: KioskConfig, timeoutMs: number): Promise<DoctorFinding> {
  const host = config.health.host === '0.0.0.0' ? '127.0.0.1' : config.health.host;
  const url = `http://${host}:${config.health.port}/health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json()) as { status?: string; checks?: Array<{ name: string; ok: boolean; detail: string }> };
    if (response.ok) return { name: 'health', status: 'pass', detail: `${url}: ${body.status ?? 'healthy'}` };
    const failing = (body.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    return { name: 'health', status: 'fail', detail: `${url}: ${body.status ?? response.status} ${failing.join('; ')}`, hint: 'the systemd watchdog restarts the kiosk while this lasts' };
  } catch (error) {
    return { name: 'health', status: 'fail', detail: `${url}: ${errorMessage(error)}`, hint: 'check health.host/health.port in the config' };
  }
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { config } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const hidDevices = options.hidDevices ?? defaultHidDevices;
  const daemon = await daemonFinding(options.socketPath, timeoutMs);
  const daemonReaders = new Map((daemon.status?.readers ?? []).map((r) => [r.id, r.status]));
  const findings: DoctorFinding[] = [daemon.finding];
  findings.push(await checkClock((options.now ?? Date.now)(), daemon.status?.clock?.trusted ?? null));
  findings.push(await checkDataFolder(config.device.stateDir));
  findings.push(await checkDisk(config.device.stateDir));
  findings.push(await checkDatabase(databasePath(config)));
  if (config.readers.length === 0) findings.push({ name: 'readers', status: 'warn', detail: 'no readers configured' });
  for (const reader of config.readers) {
    findings.push(await checkReader(reader, daemon.status ? (daemonReaders.get(reader.id) ?? 'absent') : null, hidDevices));
  }
  findings.push(...(await relayFindings(options, daemon.status !== null)));
  findings.push(await checkUpstream(config.sync.url, timeoutMs));
  findings.push(...(await checkModels(config.biometric)));
  if (daemon.status !== null) findings.push(await healthEndpointFinding(config, timeoutMs));
  return { ok: findings.every((f) => f.status !== 'fail'), findings };
}

async function defaultHidDevices(): Promise<HidDeviceInfo[]> {
  const { loadNodeHidBackend } = await import('../hw/hid/node-hid-backend.js');
  const backend = await loadNodeHidBackend();
  return (await backend.devices()).map((d) => ({ path: d.path, vendorId: d.vendorId, productId: d.productId }));
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.findings.map((f) => {
    const head = `${f.status.toUpperCase().padEnd(4)}  ${f.name.padEnd(16)} ${f.detail}`;
    return f.hint !== undefined && (f.status === 'fail' || f.status === 'warn') ? `${head}\n      -> ${f.hint}` : head;
  });
  const failed = report.findings.filter((f) => f.status === 'fail').length;
  lines.push(report.ok ? 'all checks passed' : `${failed} check(s) failed`);
  return `${lines.join('\n')}\n`;
}
