// Real signed release archives for the update tests: a tiny node program stands in for the app. It
// serves the same /health body as device/health/server.ts (status, version, instanceId), or crashes at
// start, or stays unhealthy, depending on the mode baked into the release.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { packRelease } from '../../../device/update/archive.js';
import type { RestartHook } from '../../../device/update/updater.js';

export type FakeAppMode = 'good' | 'crash' | 'unhealthy';

const APP_SOURCE = `
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
const here = new URL('.', import.meta.url);
const mode = readFileSync(new URL('mode', here), 'utf8').trim();
const { version } = JSON.parse(readFileSync(new URL('manifest.json', here), 'utf8'));
if (process.argv.includes('--check')) { console.log(version); process.exit(0); }
if (mode === 'crash') { console.error('boom at start'); process.exit(3); }
const instanceId = randomUUID();
http.createServer((req, res) => {
  const healthy = mode === 'good';
  res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: healthy ? 'healthy' : 'unhealthy', version, instanceId, pid: process.pid }));
}).listen(Number(process.env.HEALTH_PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

export interface BuildFakeReleaseOptions {
  workDir: string;
  version: string;
  mode: FakeAppMode;
  privateKey: KeyObject;
  schemaVersion?: number;
  minReadableSchema?: number;
}

export async function buildFakeRelease(options: BuildFakeReleaseOptions): Promise<string> {
  const source = await mkdtemp(join(options.workDir, `src-${options.version}-`));
  await writeFile(join(source, 'app.mjs'), APP_SOURCE);
  await writeFile(join(source, 'mode'), options.mode);
  await mkdir(join(source, 'lib'));
  await writeFile(join(source, 'lib', 'filler.txt'), 'x'.repeat(64 * 1024));
  const outFile = join(options.workDir, `esik-${options.version}.tgz`);
  await packRelease({
    sourceDir: source,
    files: ['app.mjs', 'mode', 'lib'],
    version: options.version,
    schemaVersion: options.schemaVersion ?? 1,
    minReadableSchema: options.minReadableSchema ?? 1,
    privateKey: options.privateKey,
    outFile,
  });
  return outFile;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Restart hook that runs the release's program directly, as systemd would, on a fixed port. */
export class DirectProcessRestarter {
  private child: ChildProcess | null = null;
  readonly started: string[] = [];

  constructor(private readonly port: number) {}

  readonly restart: RestartHook = async ({ dir, version }) => {
    await this.stop();
    const child = spawn(process.execPath, [join(dir, 'app.mjs')], {
      env: { ...process.env, HEALTH_PORT: String(this.port) },
      stdio: 'ignore',
    });
    this.child = child;
    this.started.push(version);
    return { exited: once(child, 'exit') };
  };

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}

export async function tempRoot(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
