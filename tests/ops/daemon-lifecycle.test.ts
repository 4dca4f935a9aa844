// The daemon as systemd runs it, as a real child process: READY=1 after start-up, WATCHDOG=1 while
// healthy, the health endpoint and metrics live, and on SIGTERM STOPPING=1 and an exit within the
// hard deadline with the doors in their safe state.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { writeKioskConfig } from './helpers/kiosk-config.js';
import { NotifySocketRecorder, notifySocketUnavailable } from './helpers/notify-socket.js';

const CLI = resolve(import.meta.dirname, '..', '..', 'device', 'cli', 'index.ts');
const HARD_DEADLINE_MS = 10_000;
const unavailable = notifySocketUnavailable();
if (unavailable) console.warn(`daemon lifecycle test skipped: ${unavailable}`);

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(unavailable !== null)('esik run under a systemd-like supervisor', () => {
  let dir: string;
  let recorder: NotifySocketRecorder;
  let child: ChildProcess;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-lifecycle-'));
    recorder = new NotifySocketRecorder(dir);
    await recorder.start();
    const config = await writeKioskConfig({ dir });
    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '--config', config], {
      env: { ...process.env, NOTIFY_SOCKET: recorder.path, WATCHDOG_USEC: '2000000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        try {
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logLines.push({ msg: line });
        }
      }
    });
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await recorder.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends READY=1 once started, feeds the watchdog, serves /health and counts decisions', async () => {
    await until('READY=1', () => (recorder.assignments().includes('READY=1') ? true : undefined));
    const port = await until('health port', () => logLines.find((l) => l.msg === 'health endpoint listening')?.port as number | undefined);
    await until('WATCHDOG=1', () => (recorder.assignments().includes('WATCHDOG=1') ? true : undefined));
    expect(recorder.assignments()).toContain(`MAINPID=${child.pid}`);
    const health = await until('healthy', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      return response.status === 200 ? ((await response.json()) as { status: string; version: string; checks: unknown[] }) : undefined;
    });
    expect(health.status).toBe('healthy');
    expect(health.checks.length).toBeGreaterThanOrEqual(5);
    await adminRequest(join(dir, 'admin.sock'), 'POST', '/v1/simulate', { actor: 'test', kind: 'card', value: 'NO-SUCH-CARD', direction: 'in' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/esik_decisions_total\{result="denied",reason="[a-z_]+",device="test-kiosk"\} 1/);
    expect(metrics).toContain('esik_readers_connected{device="test-kiosk"} 1');
  });

  it('on SIGTERM sends STOPPING=1, puts doors in their safe state and exits 0 within the hard deadline', async () => {
    // Clients that opened a connection and sent nothing (a browser's preconnect, or anyone on the
    // network) on every port: Node holds such a socket for 60 s on close unless the kiosk cuts it.
    const httpPort = await until('http port', () => (logLines.find((l) => l.msg === 'kiosk started')?.http as { port?: number } | undefined)?.port);
    const healthPort = logLines.find((l) => l.msg === 'health endpoint listening')?.port as number;
    const boardPort = ((await (await fetch(`http://127.0.0.1:${httpPort}/board/socket.json`)).json()) as { port: number }).port;
    const silent = await Promise.all([httpPort, healthPort, boardPort].map(async (port) => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.on('error', () => undefined);
      return socket;
    }));
    const startedAt = Date.now();
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(HARD_DEADLINE_MS + 2_000);
    const lines = recorder.assignments();
    expect(lines).toContain('STOPPING=1');
    expect(lines.lastIndexOf('STOPPING=1')).toBeGreaterThan(lines.indexOf('READY=1'));
    expect(logLines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(logLines.some((l) => l.level === 50 && String(l.msg).includes('safe state'))).toBe(false);
    for (const socket of silent) socket.destroy();
  });
});
