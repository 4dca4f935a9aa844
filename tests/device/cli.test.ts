// The technician CLI against a real running kiosk (child process, admin unix socket), and against
// its store when the daemon is down.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEvents, daemonDir, repoRoot, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from './daemon.js';

let dir: DaemonDir;
let daemon: Daemon | null = null;

function esik(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'device/cli/index.ts', '--config', dir.configFile, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await daemonDir();
  daemon = startDaemon(dir.configFile);
  await waitForDaemon(dir.socketPath, daemon);
});
afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await dir.cleanup();
});

// Each CLI call is a fresh Node process: give the suite room on a loaded 2-core machine.
describe('esik CLI against a running kiosk', { timeout: 180_000 }, () => {
  it('the admin socket is a unix socket with mode 0660', async () => {
    const info = await stat(dir.socketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o660);
  });

  it('simulate card decides through the hot path and is audited with the unix user', async () => {
    const granted = await esik(['simulate', 'card', '0A11C0DE', '--door', 'main']);
    expect(granted.code).toBe(0);
    expect(granted.stdout).toMatch(/^GRANT main in Гүлнара Омарова seq=\d+/);
    const unknown = await esik(['simulate', 'card', 'FFFF0000', '--json']);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ decided: true, outcome: 'deny', reason: 'unknown' });
    const blocked = await esik(['simulate', 'card', '04A2B924']);
    expect(blocked.stdout).toMatch(/^DENY .* reason=blocked/);
    const events = await allEvents(dir.socketPath);
    const audits = events.filter((e) => e.type === 'audit' && e.reason === 'simulate');
    expect(audits.length).toBeGreaterThanOrEqual(3);
    expect(audits[0]?.data).toMatchObject({ actor: expect.any(String), action: 'simulate' });
  });

  it('status --json reports doors, readers, clock, disk, backlog and recent events', async () => {
    const result = await esik(['status', '--json']);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ daemon: 'running', deviceId: 'test-kiosk', kiosk: { mode: 'normal', storeHealthy: true } });
    expect(status.doors[0]).toMatchObject({ name: 'main', locked: expect.any(Boolean) });
    expect(status.readers[0]).toMatchObject({ id: 'main-in', status: 'connected' });
    expect(typeof status.clock.trusted).toBe('boolean');
    expect(status.disk.freeBytes).toBeGreaterThan(0);
    expect(status.backlog.pending).toBeGreaterThan(0);
    expect(status.events.recent.length).toBeGreaterThan(0);
  });

  it('relay test pulses the door and records an audit event first', async () => {
    const result = await esik(['relay', 'test', '--door', 'main']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pulsed main');
    const events = await allEvents(dir.socketPath);
    expect(events.at(-1)).toMatchObject({ type: 'audit', reason: 'relay.test' });
    const missing = await esik(['relay', 'test', '--door', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no door named "nope"');
  });

  it('person block denies at once, unblock restores, erase removes the person; each audited', async () => {
    expect((await esik(['person', 'block', 'p-1001'])).code).toBe(0);
    const denied = await esik(['simulate', 'card', '04A2B91C', '--json']);
    expect(JSON.parse(denied.stdout)).toMatchObject({ outcome: 'deny', reason: 'blocked' });
    expect((await esik(['person', 'unblock', 'p-1001'])).code).toBe(0);
    const again = JSON.parse((await esik(['simulate', 'card', '04A2B91C', '--json'])).stdout);
    expect(again.reason).not.toBe('blocked');
    expect((await esik(['person', 'erase', 'p-1001'])).code).toBe(0);
    const erased = JSON.parse((await esik(['simulate', 'card', '04A2B91C', '--json'])).stdout);
    expect(erased).toMatchObject({ outcome: 'deny', reason: 'unknown', personId: null });
    const kinds = (await allEvents(dir.socketPath)).map((e) => `${e.type}:${e.reason ?? ''}`);
    for (const expected of ['person.blocked:technician', 'audit:person.block', 'audit:person.unblock', 'person.erased:technician', 'audit:person.erase']) expect(kinds).toContain(expected);
    expect((await esik(['person', 'erase', 'p-nobody'])).code).toBe(1);
  });

  it('events tail prints the last events, and --follow prints new ones as they come', async () => {
    const tail = await esik(['events', 'tail', '-n', '3']);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(3);

    const follower = spawn(process.execPath, ['--import', 'tsx', 'device/cli/index.ts', '--config', dir.configFile, 'events', 'tail', '-n', '1', '--follow', '--json'], { cwd: repoRoot });
    let out = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Functional deadlines only: wait for the follower's first line (it is polling), then make an event.
    const until = Date.now() + 60_000;
    while (!out.includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await esik(['simulate', 'card', '0A11C0DF']);
    while (!out.includes('"p-2002"') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    follower.kill('SIGTERM');
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as { type: string; personId: string | null });
    expect(lines.some((e) => e.type === 'access.granted' && e.personId === 'p-2002')).toBe(true);
  });

  it('with the daemon stopped, status and events tail read the store directly', async () => {
    daemon?.child.kill('SIGTERM');
    expect(await daemon?.exited).toBe(0);
    daemon = null;
    const status = await esik(['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ daemon: 'stopped', deviceId: 'test-kiosk' });
    const tail = await esik(['events', 'tail', '-n', '2']);
    expect(tail.code).toBe(0);
    expect(tail.stdout).toContain('device.stopped');
    const relay = await esik(['relay', 'test']);
    expect(relay.code).toBe(1);
    expect(relay.stderr).toContain('the kiosk is not running');
  });
});
