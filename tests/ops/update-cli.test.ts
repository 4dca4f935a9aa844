// The technician's commands as processes: `esik update` refusing a forged archive (and recording
// that as an audit event in the store while the daemon is down), and `esik update status`.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateReleaseKeyPair, loadPrivateKey } from '../../device/update/signing.js';
import { buildFakeRelease } from './helpers/releases.js';
import { writeKioskConfig } from './helpers/kiosk-config.js';
import { CLI, startDaemon } from './helpers/daemon.js';

function esik(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('esik update on the command line', () => {
  let dir: string;
  let root: string;
  let config: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-update-cli-'));
    root = join(dir, 'root');
    await mkdir(join(root, 'etc', 'esik'), { recursive: true });
    await writeFile(join(root, 'etc', 'esik', 'release-key.pub'), generateReleaseKeyPair().publicKeyPem);
    config = await writeKioskConfig({ dir });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a forged release, exits 1 and audits it through the daemon, or in the store when it is down', async () => {
    const forger = loadPrivateKey(generateReleaseKeyPair().privateKeyPem);
    const archive = await buildFakeRelease({ workDir: dir, version: '6.6.6', mode: 'good', privateKey: forger });
    const daemon = await startDaemon(config);
    try {
      const result = await esik(['update', archive, '--root', root, '--config', config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('esik: signature does not verify against the release public key');
      const events = await esik(['events', 'tail', '--json', '--config', config]);
      expect(events.stdout.match(/"reason": ?"update\.refused"/g)).toHaveLength(1);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    const offline = await esik(['update', archive, '--root', root, '--config', config]);
    expect(offline.code).toBe(1);
    const events = await esik(['events', 'tail', '--json', '--config', config]);
    expect(events.stdout.match(/"reason": ?"update\.refused"/g)).toHaveLength(2);
  });

  it('esik update status shows what is installed', async () => {
    const result = await esik(['update', 'status', '--json', '--root', root, '--config', config]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ current: null, installed: [], interrupted: null });
  });
});
