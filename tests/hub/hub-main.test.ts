// `npm run hub` as an operator runs it: hub/main.ts as a real child process. With no flags it runs on
// SQLite in its state folder and makes an admin token once, in a 0600 file beside the database; a
// postgres:// URL (flag or environment) runs it on PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteHubStorage } from '../../hub/index.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { event, items } from './backends.js';
import { adminCall, registerDevice, repoRoot, tempDir } from '../sync/helpers.js';

interface RunningHub {
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

async function runHub(args: string[], env: Record<string, string>): Promise<RunningHub> {
  const base = { ...process.env };
  delete base.ESIK_HUB_ADMIN_TOKEN;
  delete base.ESIK_HUB_DATABASE_URL;
  delete base.ESIK_HUB_STATE_DIR;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), '--port', '0', ...args], {
    env: { ...base, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"hub listening"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${String(code)}: ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

describe('npm run hub', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let postgres: TempPostgres;

  beforeAll(async () => {
    tmp = await tempDir('esik-hub-main-');
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
    await tmp?.cleanup();
  });

  it('runs with no flags: SQLite in the state folder, an admin token made once in a private file and kept', async () => {
    const state = join(tmp.dir, 'state');
    const first = await runHub([], { ESIK_HUB_STATE_DIR: state });
    const tokenFile = join(state, 'hub-admin-token');
    expect(first.stderr()).toContain(tokenFile);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(state, 'hub.db'))).toBe(true);
    const adminToken = (await readFile(tokenFile, 'utf8')).trim();
    expect(adminToken.length).toBeGreaterThanOrEqual(32);
    await registerDevice({ url: first.url, adminToken }, 'kiosk-1');
    await first.stop();

    const second = await runHub([], { ESIK_HUB_STATE_DIR: state });
    expect(second.stderr()).not.toContain('new admin token');
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(adminToken);
    const devices = await adminCall({ url: second.url, adminToken }, 'GET', '/v1/admin/devices');
    expect(devices.json.devices).toEqual([expect.objectContaining({ id: 'kiosk-1' })]);
    expect((await adminCall({ url: second.url, adminToken: 'wrong-token-0123456789' }, 'GET', '/v1/admin/devices')).status).toBe(401);
    await second.stop();
  });

  it('runs on PostgreSQL from --database or ESIK_HUB_DATABASE_URL, with the admin token from the environment', async () => {
    const adminToken = 'admin-token-for-main-test-0123456789';
    const url = await postgres.createDatabase();
    const byFlag = await runHub(['--database', url], { ESIK_HUB_ADMIN_TOKEN: adminToken, ESIK_HUB_STATE_DIR: join(tmp.dir, 'pg-state') });
    await registerDevice({ url: byFlag.url, adminToken }, 'kiosk-pg');
    await byFlag.stop();
    const byEnv = await runHub([], { ESIK_HUB_ADMIN_TOKEN: adminToken, ESIK_HUB_DATABASE_URL: url, ESIK_HUB_STATE_DIR: join(tmp.dir, 'pg-state') });
    const devices = await adminCall({ url: byEnv.url, adminToken }, 'GET', '/v1/admin/devices');
    expect(devices.json.devices).toEqual([expect.objectContaining({ id: 'kiosk-pg' })]);
    await byEnv.stop();
    // No SQLite file was made on the side.
    expect(existsSync(join(tmp.dir, 'pg-state', 'hub.db'))).toBe(false);
  });

  it('holds at most --pool-size PostgreSQL connections, and refuses a pool size that is not a positive integer', async () => {
    const adminToken = 'admin-token-for-main-test-0123456789';
    const url = await postgres.createDatabase();
    const hub = await runHub(['--database', url, '--pool-size', '2'], { ESIK_HUB_ADMIN_TOKEN: adminToken, ESIK_HUB_STATE_DIR: join(tmp.dir, 'pool-state') });
    // Thirty requests at once would open up to ten connections with the default pool.
    const answers = await Promise.all(Array.from({ length: 30 }, () => adminCall({ url: hub.url, adminToken }, 'GET', '/v1/admin/devices')));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const database = new URL(url).pathname.slice(1);
    const observer = new pg.Client({ connectionString: url.replace(/\/[^/]+$/u, '/postgres') });
    await observer.connect();
    try {
      // The hub storage's pool; the ledger, library and notifier keep small pools of their own, named apart.
      const rows = await observer.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'esik-hub'", [database]);
      expect(Number(rows.rows[0]?.n)).toBeGreaterThan(0);
      expect(Number(rows.rows[0]?.n)).toBeLessThanOrEqual(2);
    } finally {
      await observer.end();
    }
    await hub.stop();
    await expect(runHub(['--database', url, '--pool-size', '0'], { ESIK_HUB_ADMIN_TOKEN: adminToken })).rejects.toThrow(/invalid --pool-size 0/);
  });

  it('applies the retention policy at start: events from before the kept months are gone, the recent ones stay', async () => {
    const state = join(tmp.dir, 'retention-state');
    const seeded = await SqliteHubStorage.open(join(state, 'hub.db'));
    const dayMs = 24 * 3600 * 1000;
    await seeded.ingest('kiosk-r', items(event(1), event(2)), null, null, Date.now() - 100 * dayMs);
    await seeded.ingest('kiosk-r', items(event(3)), null, null, Date.now());
    await seeded.close();
    const hub = await runHub(['--retention-months', '1'], { ESIK_HUB_STATE_DIR: state });
    await hub.stop();
    const after = await SqliteHubStorage.open(join(state, 'hub.db'));
    expect((await after.readEvents(0, 10)).events.map((e) => e.event.seq)).toEqual([3]);
    await after.close();
    await expect(runHub(['--retention-months', 'x'], { ESIK_HUB_STATE_DIR: state })).rejects.toThrow(/invalid --retention-months x/);
  });

  it('refuses an unknown database URL scheme', async () => {
    await expect(runHub(['--database', 'mysql://localhost/esik'], { ESIK_HUB_ADMIN_TOKEN: 'admin-token-for-main-test-0123456789' })).rejects.toThrow(/unsupported database URL scheme/);
  });
});
