// A hub as a real child process for the hub bench and the multi-process fault tests: started on
// port 0 over a SQLite file or a PostgreSQL URL, its admin API, and what /proc says about it (peak
// RSS, CPU time), plus the CPU time of a PostgreSQL server's processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request, type Dispatcher } from 'undici';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where a hub keeps its data: a SQLite file, or a PostgreSQL database shared by several hubs. */
export type HubStore = { sqlite: string } | { postgres: string };

export interface HubChild {
  url: string;
  pid: number;
  adminToken: string;
  child: ChildProcess;
  /** Everything the hub wrote to stderr so far (its warnings and errors). */
  stderr(): string;
  /** SIGTERM and wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would, and wait for the exit. */
  kill9(): Promise<void>;
}

function storeArgs(store: HubStore): string[] {
  return 'sqlite' in store ? ['--db', store.sqlite] : ['--database', store.postgres];
}

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
}

/** Starts `hub/main.ts` on port 0 and waits for its "hub listening" line (several hubs may share one admin token). */
export async function startHubChild(store: HubStore, adminToken = randomBytes(24).toString('base64url'), logLevel = 'warn'): Promise<HubChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), ...storeArgs(store), '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, ESIK_HUB_ADMIN_TOKEN: adminToken, LOG_LEVEL: logLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep the tail only: a hub logging every refused push for minutes must not fill our memory.
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start within 60 s: ${stderr}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"hub listening"/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolvePort(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hub exited (${String(code ?? signal)}) before listening: ${stderr}`));
    });
  });
  const pid = child.pid ?? 0;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    adminToken,
    child,
    stderr: () => stderr,
    async stop() {
      const exited = waitForExit(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      const exited = waitForExit(child);
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Admin calls share one keep-alive agent; they are few and never the thing measured. */
const adminAgent = new Agent({ connections: 8 });

export interface AdminAnswer {
  status: number;
  body: unknown;
}

export async function adminRequest(hub: { url: string; adminToken: string }, method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<AdminAnswer> {
  const response = await request(`${hub.url}${path}`, {
    method,
    dispatcher: adminAgent,
    headers: { authorization: `Bearer ${hub.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as unknown) : null };
}

/** An admin call that must succeed (2xx); anything else is a broken setup, thrown with the answer. */
export async function adminOk<T>(hub: { url: string; adminToken: string }, method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<T> {
  const answer = await adminRequest(hub, method, path, body);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as T;
}

/** Registers a device and returns its token (the hub hashes it with scrypt: some 45 ms each, one at a time). */
export async function registerDevice(hub: { url: string; adminToken: string }, id: string): Promise<string> {
  const answer = await adminOk<{ token: string }>(hub, 'POST', '/v1/admin/devices', { id });
  return answer.token;
}

/** Runs `work` over `items` with at most `limit` at once, in order of start. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Peak resident set (VmHWM) of a process, in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Math.round(Number(match[1]) / 1024);
}

const CLOCK_TICKS_PER_S = 100;

/** User + system CPU seconds a process has used, from /proc/PID/stat (0 once it is gone). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return 0;
  // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** CPU seconds of a process and its direct children (a PostgreSQL postmaster and its backends). */
export async function treeCpuSeconds(pid: number): Promise<number> {
  let total = await cpuSeconds(pid);
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) total += await cpuSeconds(Number(entry));
  }
  return total;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busy: (total - idle) / CLOCK_TICKS_PER_S, total: total / CLOCK_TICKS_PER_S };
}
