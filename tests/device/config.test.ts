import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnvOverrides, ConfigError, loadConfig, validateConfig } from '../../device/config/index.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const minimal = { doors: [{ name: 'main', relay: { driver: 'sim' } }] };

function problemsOf(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esik-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('fills typed defaults for a minimal file', () => {
    const config = validateConfig(minimal);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, gatekeeper: 'auto' });
    expect(config.device.utcOffsetMinutes).toBe(300);
    expect(config.doors[0]).toMatchObject({ name: 'main', kind: 'door', lockType: 'fail-secure', pulseMs: 3000 });
    expect(config.storage.failMode).toBe('secure');
  });

  it('names the field, what it expects and what it got', () => {
    const problems = problemsOf({ doors: [{ name: 'main', pulseMs: 'abc', relay: { driver: 'sim' } }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^doors\[0\]\.pulseMs: expected number ≥ 50.*got "abc"$/);
    expect(problemsOf({ ...minimal, http: { port: 70000 } })[0]).toBe('http.port: expected number ≤ 65535, got 70000');
    expect(problemsOf({ ...minimal, storage: { failMode: 'yolo' } })[0]).toMatch(/^storage\.failMode: .*got "yolo"$/);
    expect(problemsOf({ doors: [] })[0]).toMatch(/^doors: /);
    expect(problemsOf({ ...minimal, readers: [{ id: 'r1', driver: 'sim', door: 'side' }] })).toEqual(['readers[0].door: no door named "side" (doors: main)']);
  });

  it('takes a library desk section, and refuses a desk named like a door or with a path missing', () => {
    const desk = { desk: 'library-1', catalogueFile: 'catalogue.json', rulesFile: 'rules.json' };
    expect(validateConfig({ ...minimal, library: desk }).library).toEqual({ ...desk, pageClients: [], catalogueRefreshMs: 300_000 });
    expect(problemsOf({ ...minimal, library: { ...desk, desk: 'main' } })).toEqual(['library.desk: "main" is also a door\'s or the till\'s name']);
    expect(problemsOf({ ...minimal, library: { desk: 'library-1', catalogueFile: 'c.json' } })[0]).toMatch(/^library\.rulesFile: /);
  });

  it('refuses a misspelt field instead of silently using the default', () => {
    expect(problemsOf({ doors: [{ name: 'main', pulseMS: 500, relay: { driver: 'sim', activelow: true } }], htpp: {} })).toEqual([
      'doors[0].pulseMS: unknown field (misspelt?)',
      'doors[0].relay.activelow: unknown field (misspelt?)',
      'htpp: unknown field (misspelt?)',
    ]);
  });

  it('applies ESIK_<PATH> environment overrides with the field type', () => {
    const { config, applied } = applyEnvOverrides(minimal, { ESIK_HTTP_PORT: '8081', ESIK_DEVICE_ID: 'kiosk-7', ESIK_DEVICE_STATE_DIR: '/srv/esik', ESIK_STORAGE_FAIL_MODE: 'open-for-known' });
    expect(applied.sort()).toEqual(['ESIK_DEVICE_ID', 'ESIK_DEVICE_STATE_DIR', 'ESIK_HTTP_PORT', 'ESIK_STORAGE_FAIL_MODE']);
    const validated = validateConfig(config);
    expect(validated.http.port).toBe(8081);
    expect(validated.device).toMatchObject({ id: 'kiosk-7', stateDir: '/srv/esik' });
    expect(validated.storage.failMode).toBe('open-for-known');
    expect(problemsOf(applyEnvOverrides(minimal, { ESIK_HTTP_PORT: 'eighty' }).config)[0]).toBe('http.port: expected number ≥ 0, ≤ 65535, got "eighty"');
  });

  it('refuses an unreadable or non-JSON file with a clear message', async () => {
    await expect(loadConfig(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the file/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "doors": [ ');
    await expect(loadConfig(broken)).rejects.toThrow(/not valid JSON/);
  });

  it('resolves relative paths against the config file folder', async () => {
    const file = join(dir, 'relative.json');
    await writeFile(file, JSON.stringify({ ...minimal, device: { stateDir: './state' } }));
    const { config } = await loadConfig(file, {});
    expect(config.device.stateDir).toBe(join(dir, 'state'));
    expect(config.admin.socketPath).toBe(join(dir, 'state', 'admin.sock'));
  });

  function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'device/cli/index.ts', ...args], { cwd: repoRoot, env: { ...process.env, ESIK_HTTP_PORT: '0' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
    });
  }

  it('a real `esik run` with an invalid config exits non-zero and names the field; nothing is created', async () => {
    const file = join(dir, 'invalid.json');
    await writeFile(file, JSON.stringify({ device: { stateDir: join(dir, 'never') }, doors: [{ name: 'main', pulseMs: 'abc', relay: { driver: 'sim' } }] }));
    const result = await runCli(['run', '--config', file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('doors[0].pulseMs: expected number ≥ 50');
    expect(result.stderr).toContain('got "abc"');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('`esik config check` prints OK or the field errors with exit 1', async () => {
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify(minimal));
    const ok = await runCli(['config', 'check', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK /);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ doors: [{ name: 'main', relay: { driver: 'relay-on-a-string' } }] }));
    const refused = await runCli(['config', 'check', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('doors[0].relay.driver');
  });
});
