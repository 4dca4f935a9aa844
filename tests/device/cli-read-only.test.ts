// With the daemon down, the CLI's read commands (status, events tail, sync status) open the
// kiosk's database read-only and leave every file in the state directory as it was: no -wal or
// -shm created, no checkpoint, no migration (after a crash SQLite rebuilds the WAL's index in the
// existing -shm; that is all). After a clean stop the database is read as an
// immutable file (so a user who cannot write the directory can read it); after a kill -9 the
// newest events, still in the WAL, are read through it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonDir, repoRoot, type DaemonDir } from './daemon.js';
import { everyEvent, startKioskChild } from '../fault/helpers.js';

let dir: DaemonDir;
const stateDir = (): string => join(dir.dir, 'state');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `esik ...` as a fresh process; as root it runs as `nobody`, so file modes really apply. */
function esik(args: string[], asNobody: boolean): Promise<CliResult> {
  const asOtherUser = asNobody && process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'device/cli/index.ts', '--config', dir.configFile, ...args], {
      cwd: repoRoot,
      env: { ...process.env, HOME: '/tmp' },
      ...asOtherUser,
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Every file in the state directory with its bytes' hash and mtime. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(stateDir())).sort()) {
    const file = join(stateDir(), name);
    const info = await stat(file);
    if (!info.isFile()) continue;
    out[name] = `${createHash('sha256').update(await readFile(file)).digest('hex')} ${info.mtimeMs}`;
  }
  return out;
}

async function readCommands(asNobody: boolean): Promise<{ status: CliResult; tail: CliResult; sync: CliResult }> {
  return {
    status: await esik(['status', '--json'], asNobody),
    tail: await esik(['events', 'tail', '-n', '3', '--json'], asNobody),
    sync: await esik(['sync', 'status', '--json'], asNobody),
  };
}

const lastTailSeq = (tail: CliResult): number => (JSON.parse(tail.stdout.trim().split('\n').at(-1) ?? '{}') as { seq: number }).seq;

beforeAll(async () => {
  dir = await daemonDir();
  await chmod(dir.dir, 0o755); // mkdtemp makes it 0700; the "nobody" runs need to reach the config
});
afterAll(async () => {
  await chmod(stateDir(), 0o755).catch(() => undefined);
  await dir.cleanup();
});

describe('CLI read commands on a stopped kiosk', { timeout: 180_000 }, () => {
  it('after a clean stop: read by a user who cannot write the state directory, nothing changes', async () => {
    const kiosk = await startKioskChild(dir.configFile, dir.socketPath, {}, 120_000);
    kiosk.child.kill('SIGTERM');
    expect(await kiosk.exited).toBe(0);
    const names = await readdir(stateDir());
    expect(names.some((name) => name.endsWith('-wal'))).toBe(false); // a clean close removes the WAL
    const modes = new Map<string, number>();
    for (const name of names) modes.set(name, (await stat(join(stateDir(), name))).mode & 0o777);
    await chmod(stateDir(), 0o555);
    for (const name of names) await chmod(join(stateDir(), name), 0o444);
    const before = await snapshot();
    try {
      const { status, tail, sync } = await readCommands(true);
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ daemon: 'stopped', deviceId: 'test-kiosk' });
      expect(tail.code).toBe(0);
      expect(tail.stdout).toContain('device.stopped');
      expect(sync.code).toBe(0);
      expect(JSON.parse(sync.stdout)).toMatchObject({ daemon: 'stopped', quarantined: 0 });
      expect(await snapshot()).toEqual(before);
    } finally {
      await chmod(stateDir(), 0o755);
      for (const [name, mode] of modes) await chmod(join(stateDir(), name), mode);
    }
  });

  it('after kill -9: the events still in the WAL are shown, and no file is touched', async () => {
    const kiosk = await startKioskChild(dir.configFile, dir.socketPath, {}, 120_000);
    const lastSeq = (await everyEvent(dir.socketPath)).at(-1)?.seq;
    await kiosk.kill();
    expect(await readdir(stateDir())).toEqual(expect.arrayContaining(['esik.db-wal', 'esik.db-shm']));
    const before = await snapshot();

    const { status, tail, sync } = await readCommands(false);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ daemon: 'stopped', events: { lastSeq } });
    expect(tail.code).toBe(0);
    expect(lastTailSeq(tail)).toBe(lastSeq); // read through the WAL, not just the main file
    expect(sync.code).toBe(0);

    // The -shm is SQLite's shared-memory index of the WAL, not data: after a crash the first reader
    // rebuilds it there. The database, its WAL and everything else stay byte for byte.
    const withoutIndex = (files: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(files).filter(([name]) => !name.endsWith('-shm')));
    const after = await snapshot();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(withoutIndex(after)).toEqual(withoutIndex(before));
  });
});
