// The way into a console nobody can sign in to: `console-admin create-director` makes a director
// with a fresh password shown once, and `console-admin unlock` lets the last director back in after
// 5 wrong passwords. Both run as their own process against the hub's SQLite file while the hub
// serves it, and both are on the audit record.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import { consoleStoreFor } from '../../hub/console/index.js';
import { closeWithin } from '../../lib/index.js';
import { silentLogger } from '../sync/helpers.js';
import type { FastifyInstance } from 'fastify';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../../hub/console/admin-cli.ts');

async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout: 60_000 });
  return JSON.parse(stdout.trim()) as Record<string, unknown>;
}

async function login(url: string, username: string, password: string): Promise<number> {
  const response = await fetch(`${url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  return response.status;
}

describe('console-admin CLI', () => {
  let dir: string;
  let file: string;
  let storage: SqliteHubStorage;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-console-cli-'));
    file = join(dir, 'hub.db');
    storage = await SqliteHubStorage.open(file);
    app = await buildHub({ storage, logger: silentLogger, adminToken: 'admin-token-for-console-tests', console: {} });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await closeWithin(app.server, () => app.close());
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the first director, and unlocks the last one', async () => {
    const made = await cli('create-director', '--username', 'Boss', '--name', 'Айгүл Директор', '--database', file);
    expect(made).toMatchObject({ username: 'boss', role: 'director' });
    const password = String(made.password);
    expect(password.length).toBeGreaterThanOrEqual(10);
    expect(await login(url, 'boss', password)).toBe(302);

    for (let i = 0; i < 5; i++) await login(url, 'boss', 'not the password at all');
    expect(await login(url, 'boss', password)).toBe(423);
    expect(await cli('unlock', '--username', 'boss', '--database', file)).toEqual({ username: 'boss', unlocked: true });
    expect(await login(url, 'boss', password)).toBe(302);

    const store = await consoleStoreFor(storage);
    const boss = await store.accountByName('boss');
    const all = await store.auditOf(boss?.id ?? '', 0, Date.now() + 1, 100);
    expect(all.map((r) => r.action)).toEqual(['login', ...Array<string>(5).fill('login.failed').map((a, i) => (i === 4 ? 'login.locked' : a)), 'login.locked', 'login']);
    await expect(cli('unlock', '--username', 'nobody', '--database', file)).rejects.toThrow(/no console account nobody/);
  }, 120_000);
});
