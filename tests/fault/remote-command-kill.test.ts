// A remote door-open from a real hub process runs at most once on the real kiosk process, even when
// the kiosk is killed (SIGKILL) after running it and before the hub has its ack. The hub still
// holds the command as pending, inside its validity window, and delivers it again after the
// restart; the kiosk must answer from its durable record instead of opening the door again.
// The proxy between them holds every ack request open, so the kill lands exactly in that window.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonDir, type DaemonDir } from '../device/daemon.js';
import { FaultProxy } from '../sync/fault-proxy.js';
import { adminCall, registerDevice, startHubProcess, tempDir, type HubProcess } from '../sync/helpers.js';
import { everyEvent, startKioskChild, waitFor, type KioskChild } from './helpers.js';

const DEVICE_ID = 'test-kiosk'; // the id daemonDir() configures

interface CommandState {
  state: string;
  ack: unknown;
}

/** The kiosk's durable record of each remote opening of this command (written before the relay moves). */
async function remoteOpens(socketPath: string, commandId: string): Promise<number> {
  const events = await everyEvent(socketPath);
  return events.filter((e) => e.type === 'audit' && e.reason === 'remote_open' && e.data?.commandId === commandId).length;
}

describe('a remote door-open is not run twice after kill -9 before its ack', () => {
  let hub: HubProcess;
  let proxy: FaultProxy;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let kioskDir: DaemonDir;
  let kiosk: KioskChild | null = null;

  beforeAll(async () => {
    tmp = await tempDir();
    hub = await startHubProcess(join(tmp.dir, 'hub.db'));
    proxy = await FaultProxy.start(hub.url);
    const tokenFile = join(tmp.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice(hub, DEVICE_ID)}\n`, { mode: 0o600 });
    kioskDir = await daemonDir({ sync: { url: proxy.url, tokenFile, intervalMs: 1000 } });
  }, 60_000);
  afterAll(async () => {
    await kiosk?.kill();
    await proxy?.close();
    await hub?.stop();
    await kioskDir?.cleanup();
    await tmp?.cleanup();
  });

  it('runs it, is killed before acking, restarts: the hub gets the remembered ack and the door opened once', async () => {
    proxy.pathFilter = /\/commands\/[^/]+\/ack$/u;
    proxy.fault = { kind: 'hang' };
    kiosk = await startKioskChild(kioskDir.configFile, kioskDir.socketPath, {}, 120_000);
    const created = await adminCall(hub, 'POST', `/v1/admin/devices/${DEVICE_ID}/commands`, { kind: 'door.open', args: { door: 'main' }, ttlS: 3600 });
    expect(created.status).toBe(201);
    const commandId = String(created.json.id);
    const socketPath = kioskDir.socketPath;

    await waitFor('the remote opening recorded on the kiosk', async () => ((await remoteOpens(socketPath, commandId)) > 0 ? true : undefined), 60_000);
    await waitFor('the kiosk sending its ack (held by the proxy)', () => Promise.resolve(proxy.stats.faulted > 0 ? true : undefined), 60_000);
    await kiosk.kill();
    kiosk = null;
    const beforeRestart = (await adminCall(hub, 'GET', `/v1/admin/devices/${DEVICE_ID}/commands/${commandId}`)).json as unknown as CommandState;
    expect(beforeRestart.state).not.toBe('acked'); // still pending: the hub will deliver it again

    proxy.fault = { kind: 'none' };
    kiosk = await startKioskChild(kioskDir.configFile, kioskDir.socketPath, {}, 120_000);
    const acked = await waitFor('the command acked on the hub', async () => {
      const state = (await adminCall(hub, 'GET', `/v1/admin/devices/${DEVICE_ID}/commands/${commandId}`)).json as unknown as CommandState;
      return state.state === 'acked' ? state : undefined;
    }, 60_000);
    // The ack recorded before the kill, re-sent: the first run's result, not a second run.
    expect(acked.ack).toMatchObject({ ok: true, result: { door: 'main' } });
    expect(await remoteOpens(socketPath, commandId)).toBe(1);
  }, 240_000);
});
