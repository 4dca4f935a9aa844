// Runs the real kiosk as a child process (`node --import tsx device/cli/index.ts run`) on a temp
// state dir, and talks to it over its admin socket like the CLI does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminRequest } from '../../device/admin/index.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface DaemonDir {
  dir: string;
  configFile: string;
  socketPath: string;
  cleanup(): Promise<void>;
}

/** A config on simulated hardware: door "main" with a reader, the demo roster, anti-passback off. */
export async function daemonDir(extra: Record<string, unknown> = {}): Promise<DaemonDir> {
  const dir = await mkdtemp(join(tmpdir(), 'esik-daemon-'));
  const configFile = join(dir, 'config.json');
  const socketPath = join(dir, 'admin.sock');
  await writeFile(configFile, JSON.stringify({
    device: { id: 'test-kiosk', stateDir: join(dir, 'state'), seedRosterFile: join(repoRoot, 'fixtures/demo-roster.json') },
    doors: [{ name: 'main', relay: { driver: 'sim' }, sensor: { driver: 'sim' } }],
    readers: [{ id: 'main-in', driver: 'sim', door: 'main', direction: 'in' }],
    policy: { antiPassback: 'off' },
    http: { host: '127.0.0.1', port: 0 },
    health: { host: '127.0.0.1', port: 0 },
    admin: { socketPath },
    ...extra,
  }));
  return { dir, configFile, socketPath, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface Daemon {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function startDaemon(configFile: string, env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, ['--import', 'tsx', 'device/cli/index.ts', 'run', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolvePromise) => child.on('exit', (code) => resolvePromise(code)));
  return { child, output: () => out, exited };
}

/** Polls the admin socket until the daemon answers (generous functional deadline, not a speed claim). */
export async function waitForDaemon(socketPath: string, daemon: Daemon, deadlineMs = 45_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  let exitCode: number | null | undefined;
  void daemon.exited.then((code) => (exitCode = code));
  while (Date.now() < until) {
    if (exitCode !== undefined) throw new Error(`kiosk exited with ${String(exitCode)}:\n${daemon.output()}`);
    try {
      await adminRequest(socketPath, 'GET', '/v1/status', undefined, 2000);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`kiosk did not answer within ${deadlineMs} ms:\n${daemon.output()}`);
}

export interface StoredEventView {
  id: string;
  seq: number;
  type: string;
  personId: string | null;
  reason: string | null;
  data?: Record<string, unknown>;
}

export async function allEvents(socketPath: string): Promise<StoredEventView[]> {
  const page = (await adminRequest(socketPath, 'GET', '/v1/events?after=0&limit=1000')) as { events: StoredEventView[] };
  return page.events;
}
