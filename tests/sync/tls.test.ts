// The hub serves HTTPS with a self-signed certificate made here with openssl; the client trusts it
// through the CA option or a public-key pin, and refuses a wrong pin or an untrusted certificate.
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient, createHubDispatcher, publicKeyPin } from '../../sync/client/index.js';
import { appendEvents, openKioskStore, registerDevice, silentLogger, startHubProcess, tempDir, type HubProcess } from './helpers.js';

describe('TLS between kiosk and hub', () => {
  let hub: HubProcess;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let certPem: string;
  let pin: string;
  let token: string;

  beforeAll(async () => {
    tmp = await tempDir();
    const cert = join(tmp.dir, 'hub.crt');
    const key = join(tmp.dir, 'hub.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=esik-hub-test',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    certPem = await readFile(cert, 'utf8');
    pin = publicKeyPin(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' }));
    hub = await startHubProcess(join(tmp.dir, 'hub.db'), ['--tls-cert', cert, '--tls-key', key], 'https');
    token = await registerDevice(hub, 'kiosk-tls', createHubDispatcher({ ca: certPem }));
  });
  afterAll(async () => {
    await hub?.stop();
    await tmp?.cleanup();
  });

  async function attempt(tls: Parameters<typeof createHubDispatcher>[0]) {
    const store = await openKioskStore(join(tmp.dir, `k-${randomBytes(3).toString('hex')}.db`), 'kiosk-tls', randomBytes(32).toString('hex'));
    await appendEvents(store, 3);
    const client = new SyncClient({
      baseUrl: hub.url, deviceId: 'kiosk-tls', token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster,
      logger: silentLogger, dispatcher: createHubDispatcher(tls), requestTimeoutMs: 5_000,
    });
    const result = await client.syncNow();
    const status = await client.status();
    await store.close();
    return { result, status };
  }

  it('trusts the hub through its CA certificate', async () => {
    const { result, status } = await attempt({ ca: certPem });
    expect(result).toMatchObject({ ok: true, pushed: 3 });
    expect(status.state).toBe('online');
  });

  it('trusts the hub through a public-key pin alone, and through CA plus pin', async () => {
    expect((await attempt({ pins: [pin] })).result.ok).toBe(true);
    expect((await attempt({ ca: certPem, pins: [pin] })).result.ok).toBe(true);
  });

  it('refuses a wrong pin, even with the right CA, and sends nothing', async () => {
    const wrong = randomBytes(32).toString('base64');
    for (const tls of [{ pins: [wrong] }, { ca: certPem, pins: [wrong] }]) {
      const { result, status } = await attempt(tls);
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/pin/);
      expect(status).toMatchObject({ state: 'offline', backlog: 3 });
    }
  });

  it('refuses a self-signed hub it was not told to trust', async () => {
    const { result, status } = await attempt({});
    expect(result.ok).toBe(false);
    expect(status.backlog).toBe(3);
  });
});
