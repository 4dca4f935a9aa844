// `esik key rotate` through the running kiosk and directly on the store: a new key id, the key
// file 0600 with no `.next` left behind, names still readable under the new key, the kiosk
// restarting on the rotated file, and a `key.rotate` audit event naming the unix user.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { keyIdOf } from '../../device/security/template-key.js';
import { allEvents, daemonDir, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';
import { runEsik } from './helpers.js';

let dir: DaemonDir;
let daemon: Daemon | null = null;
const keyFile = (): string => join(dir.dir, 'state', 'template.key');

async function currentKeyId(): Promise<string> {
  return keyIdOf(Buffer.from((await readFile(keyFile(), 'utf8')).trim(), 'hex'));
}

async function stopDaemon(): Promise<void> {
  if (daemon === null) return;
  daemon.child.kill('SIGTERM');
  await daemon.exited;
  daemon = null;
}

beforeAll(async () => {
  dir = await daemonDir();
  daemon = startDaemon(dir.configFile);
  await waitForDaemon(dir.socketPath, daemon);
}, 60_000);
afterAll(async () => {
  await stopDaemon();
  await dir.cleanup();
});

describe('esik key rotate', () => {
  it('rotates through the running kiosk, keeps names readable, and audits it', async () => {
    const before = await currentKeyId();
    const result = await runEsik(dir.configFile, ['key', 'rotate', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as { keyId: string; rows: number; via: string };
    expect(answer.via).toBe('daemon');
    expect(answer.keyId).not.toBe(before);
    expect(answer.rows).toBeGreaterThan(0);
    expect(await currentKeyId()).toBe(answer.keyId);
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
    expect(existsSync(`${keyFile()}.next`)).toBe(false);
    // A name sealed before the rotation still opens: the decision names the pupil.
    const decision = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'test', kind: 'card', value: '04A2B91C' })) as { name: string | null };
    expect(decision.name).toBe('Айгерім Сейтқали');
    const audits = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'key.rotate');
    expect(audits).toHaveLength(1);
    expect(audits[0]?.data).toMatchObject({ actor: userInfo().username, action: 'key.rotate', keyId: answer.keyId, via: 'daemon' });
    expect(JSON.stringify(audits[0])).not.toContain((await readFile(keyFile(), 'utf8')).trim());
  }, 120_000);

  it('rotates directly on the store when the kiosk is down; the kiosk then starts on the new key', async () => {
    await stopDaemon();
    const before = await currentKeyId();
    const result = await runEsik(dir.configFile, ['key', 'rotate', '--json']);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as { keyId: string; via: string };
    expect(answer.via).toBe('store');
    expect(answer.keyId).not.toBe(before);
    expect(await currentKeyId()).toBe(answer.keyId);
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
    daemon = startDaemon(dir.configFile);
    await waitForDaemon(dir.socketPath, daemon);
    const decision = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'test', kind: 'card', value: '04A2B91C' })) as { name: string | null };
    expect(decision.name).toBe('Айгерім Сейтқали');
    const audits = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'key.rotate');
    expect(audits.map((a) => a.data?.via)).toEqual(['daemon', 'store']);
  }, 180_000);
});
