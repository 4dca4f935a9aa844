// The real kiosk process (`esik run`) with sync configured against a real hub process: its events
// reach the hub, a remote door opening is recorded, executed and acknowledged, and
// `esik sync status` (admin socket) reports online.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';
import { startKioskChild, waitFor, type KioskChild } from '../fault/helpers.js';
import { adminCall, allHubEvents, registerDevice, startHubProcess, tempDir, type HubProcess } from './helpers.js';

describe('kiosk process syncing with a hub process', () => {
  let hub: HubProcess;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let kioskDir: DaemonDir;
  let kiosk: KioskChild;

  beforeAll(async () => {
    tmp = await tempDir();
    hub = await startHubProcess(join(tmp.dir, 'hub.db'));
    const tokenFile = join(tmp.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice(hub, 'test-kiosk')}\n`, { mode: 0o600 });
    kioskDir = await daemonDir({ sync: { url: hub.url, tokenFile, intervalMs: 1000 } });
    kiosk = await startKioskChild(kioskDir.configFile, kioskDir.socketPath);
  });
  afterAll(async () => {
    await kiosk?.kill();
    await hub?.stop();
    await kioskDir?.cleanup();
    await tmp?.cleanup();
  });

  it('pushes its events, runs a remote door opening and reports online', async () => {
    const started = await waitFor('device events on the hub', async () => {
      const events = (await allHubEvents(hub)).filter((e) => e.deviceId === 'test-kiosk');
      return events.length > 0 ? events : undefined;
    }, 60_000);
    expect(started.length).toBeGreaterThan(0);

    const command = await adminCall(hub, 'POST', '/v1/admin/devices/test-kiosk/commands', { kind: 'door.open', args: { door: 'main' } });
    const acked = await waitFor('command ack', async () => {
      const state = await adminCall(hub, 'GET', `/v1/admin/devices/test-kiosk/commands/${command.json.id}`);
      return state.json.state === 'acked' ? (state.json as { ack: unknown }) : undefined;
    }, 60_000);
    expect(acked.ack).toMatchObject({ ok: true, result: { door: 'main' } });
    await waitFor('remote-open audit event on the hub', async () => {
      const events = await allHubEvents(hub);
      return events.some((e) => e.deviceId === 'test-kiosk' && (e.event as { reason?: string }).reason === 'remote_open') ? true : undefined;
    }, 60_000);

    const unknownDoor = await adminCall(hub, 'POST', '/v1/admin/devices/test-kiosk/commands', { kind: 'door.open', args: { door: 'nope' } });
    const refused = await waitFor('refusal ack', async () => {
      const state = await adminCall(hub, 'GET', `/v1/admin/devices/test-kiosk/commands/${unknownDoor.json.id}`);
      return state.json.state === 'acked' ? (state.json as { ack: unknown }) : undefined;
    }, 60_000);
    expect(refused.ack).toMatchObject({ ok: false });

    const status = (await adminRequest(kioskDir.socketPath, 'GET', '/v1/sync/status')) as { state: string; backlog: number };
    expect(status.state).toBe('online');
  }, 180_000);
});
