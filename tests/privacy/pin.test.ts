// The technician PIN on the simulator (the admin surface reachable beyond localhost), against a real
// kiosk bound to 0.0.0.0 and reached through this machine's non-loopback address: without the PIN
// or with a wrong one the page is refused; with the PIN it is served; loopback needs none; after
// 5 wrong attempts even the right PIN is refused. `esik pin set` writes the scrypt hash 0600 and
// records a `pin.set` audit event.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { networkInterfaces, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEvents, daemonDir, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';
import { runEsik } from './helpers.js';

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

let dir: DaemonDir;
let daemon: Daemon | null = null;
let port = 0;
const pinFile = (): string => join(dir.dir, 'pin.hash');

async function simPage(host: string, pin?: string): Promise<number> {
  const response = await fetch(`http://${host}:${port}/sim`, { headers: pin === undefined ? {} : { 'x-esik-pin': pin } });
  await response.arrayBuffer();
  return response.status;
}

describe.skipIf(externalAddress === undefined)('technician PIN on the simulator beyond localhost', () => {
  beforeAll(async () => {
    port = await freePort();
    dir = await daemonDir({ http: { host: '0.0.0.0', port } });
    // The PIN hash file lives in this test's own directory, known only once it exists.
    const config = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(dir.configFile, JSON.stringify({ ...config, security: { pinHashFile: pinFile() } }));
    daemon = startDaemon(dir.configFile);
    await waitForDaemon(dir.socketPath, daemon);
  }, 60_000);
  afterAll(async () => {
    if (daemon !== null) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    await dir.cleanup();
  });

  it('with no PIN configured, only loopback is admitted', async () => {
    expect(await simPage(externalAddress!)).toBe(403);
    expect(await simPage(externalAddress!, '1234')).toBe(403);
    expect(await simPage('127.0.0.1')).toBe(200);
  });

  it('esik pin set writes the scrypt hash 0600 and audits it; the running kiosk uses it at once', async () => {
    const result = await runEsik(dir.configFile, ['pin', 'set'], { stdin: '482913\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const hash = await readFile(pinFile(), 'utf8');
    expect(hash).toMatch(/^scrypt-v1\$/);
    expect(hash).not.toContain('482913');
    expect((await stat(pinFile())).mode & 0o777).toBe(0o600);
    const audits = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'pin.set');
    expect(audits).toHaveLength(1);
    expect(audits[0]?.data).toMatchObject({ actor: userInfo().username, action: 'pin.set' });
    expect(JSON.stringify(audits)).not.toContain('482913');

    expect(await simPage(externalAddress!)).toBe(403);
    expect(await simPage(externalAddress!, '000000')).toBe(403);
    expect(await simPage(externalAddress!, '482913')).toBe(200);
    expect(await simPage('127.0.0.1')).toBe(200);
  }, 60_000);

  it('a PIN that is not 4-12 digits is refused and the old one stays', async () => {
    const result = await runEsik(dir.configFile, ['pin', 'set'], { stdin: 'abc\n' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/4 to 12 digits/);
    expect(await simPage(externalAddress!, '482913')).toBe(200);
  }, 60_000);

  it('after 5 wrong PINs the surface is locked, even for the right PIN', async () => {
    for (let i = 0; i < 5; i += 1) expect(await simPage(externalAddress!, `11110${i}`)).toBe(403);
    expect(await simPage(externalAddress!, '482913')).toBe(403);
    expect(await simPage('127.0.0.1')).toBe(200);
  }, 60_000);
});
