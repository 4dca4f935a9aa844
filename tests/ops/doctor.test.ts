// `esik doctor` as a technician runs it (a real CLI process): on the simulator with the daemon
// running, and on a broken setup (read-only data folder, missing reader, unreachable hub).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKioskConfig } from './helpers/kiosk-config.js';
import { freePort } from './helpers/releases.js';

const CLI = resolve(import.meta.dirname, '..', '..', 'device', 'cli', 'index.ts');
const isRoot = process.getuid?.() === 0;

interface Finding {
  name: string;
  status: string;
  detail: string;
  hint?: string;
}

function doctor(config: string, extra: string[] = [], asNobody = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, 'doctor', '--config', config, '--timeout', '2000', ...extra],
      { ...(asNobody ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: tmpdir() } } : {}), timeout: 60_000 },
      (error, stdout, stderr) => resolvePromise({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('esik doctor on the simulator (daemon running)', () => {
  let dir: string;
  let config: string;
  let daemon: ChildProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-doctor-sim-'));
    config = await writeKioskConfig({ dir, healthPort: await freePort() });
    daemon = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    daemon.stdout?.setEncoding('utf8');
    await new Promise<void>((resolveStarted, reject) => {
      daemon.stdout?.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('"kiosk started"')) resolveStarted();
      });
      daemon.once('exit', (code) => reject(new Error(`daemon exited (${code})`)));
    });
  });

  afterAll(async () => {
    const exited = once(daemon, 'exit');
    daemon.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('passes everything, and the relay test goes through the daemon', async () => {
    const text = await doctor(config, ['--relay']);
    console.log(`esik doctor --relay (simulator):\n${text.stdout}`);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PASS {2}daemon +running/);
    expect(text.stdout).toMatch(/PASS {2}relay:main +pulsed/);
    expect(text.stdout).toMatch(/PASS {2}health /);
    expect(text.stdout).toContain('all checks passed');
    const json = await doctor(config, ['--json']);
    const report = JSON.parse(json.stdout) as { ok: boolean; findings: Finding[] };
    expect(report.ok).toBe(true);
    const byName = new Map(report.findings.map((f) => [f.name, f]));
    expect(byName.get('database')?.status).toBe('pass');
    expect(byName.get('data-folder')?.status).toBe('pass');
    expect(byName.get('reader:main-in')?.detail).toBe('connected (daemon, simulated)');
    expect(byName.get('relay')?.status).toBe('skip');
  });
});

describe('esik doctor on a broken setup', () => {
  let dir: string;
  let config: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-doctor-broken-'));
    await chmod(dir, 0o755);
    const stateDir = join(dir, 'state');
    await mkdir(stateDir);
    // Read-only for the doctor: root ignores modes, so the doctor then runs as nobody.
    await chmod(stateDir, 0o555);
    const hubPort = await freePort(); // nothing listens there
    config = await writeKioskConfig({
      dir,
      stateDir,
      syncUrl: `http://127.0.0.1:${hubPort}`,
      readers: [{ id: 'front-rfid', driver: 'hid-wedge', door: 'main', direction: 'in', path: join(dir, 'hidraw-unplugged') }],
    });
    await chmod(config, 0o644);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with an explanation for each problem and exits non-zero', async () => {
    const text = await doctor(config, [], isRoot);
    console.log(`esik doctor (broken setup):\n${text.stdout}${text.stderr}`);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/FAIL {2}data-folder +.*state is not writable: EACCES/);
    expect(text.stdout).toMatch(/FAIL {2}reader:front-rfid +.*hidraw-unplugged not found/);
    expect(text.stdout).toMatch(/FAIL {2}upstream +http:\/\/127\.0\.0\.1:\d+ unreachable: .*ECONNREFUSED/);
    expect(text.stdout).toMatch(/WARN {2}daemon +not running/);
    expect(text.stdout).toContain('-> the kiosk cannot record decisions');
    expect(text.stdout).toMatch(/\d check\(s\) failed/);
    const json = JSON.parse((await doctor(config, ['--json'], isRoot)).stdout) as { ok: boolean; findings: Finding[] };
    expect(json.ok).toBe(false);
    expect(json.findings.filter((f) => f.status === 'fail').map((f) => f.name).sort()).toEqual(['data-folder', 'reader:front-rfid', 'upstream']);
    expect(json.findings.every((f) => f.status !== 'fail' || (f.hint ?? '').length > 0)).toBe(true);
  });
});
