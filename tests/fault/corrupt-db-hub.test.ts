// A damaged database at boot with the real hub upstream: the fresh store has no roster and no
// cursor, so the kiosk pulls the whole roster from the hub again and its people are recognised;
// the db_corrupt alarm reaches the hub; and the wall clock becomes
// trusted from the hub's Date header (NTP reports unsynchronised through ESIK_FAKE_CLOCK_FILE).
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';
import { adminCall, allHubEvents, registerDevice, startHubProcess, type HubProcess } from '../sync/helpers.js';
import { startKioskChild, waitFor, type KioskChild } from './helpers.js';

const HUB_CARD = '0C0FFEE1';

let dir: DaemonDir | null = null;
let hub: HubProcess | null = null;
let running: KioskChild | null = null;
afterEach(async () => {
  await running?.kill();
  running = null;
  await hub?.stop();
  hub = null;
  await dir?.cleanup();
  dir = null;
});

const simulate = async (socketPath: string): Promise<{ outcome: string; reason: string | null; personId: string | null }> =>
  (await adminRequest(socketPath, 'POST', '/v1/simulate', { actor: 'fault-corrupt-hub', value: HUB_CARD, door: 'main' })) as { outcome: string; reason: string | null; personId: string | null };

async function hubCardGranted(socketPath: string): Promise<true | undefined> {
  const answer = await simulate(socketPath);
  return answer.outcome === 'grant' && answer.personId === 'p-hub-1' ? true : undefined;
}

describe('corrupt database at boot, with the real hub', () => {
  it('rebuilds the roster by a full pull from the hub, syncs the db_corrupt alarm upstream, trusts the hub clock', async () => {
    const made = await daemonDir();
    dir = made;
    hub = await startHubProcess(join(made.dir, 'hub.db'));
    const token = await registerDevice(hub, 'test-kiosk');
    await adminCall(hub, 'PUT', '/v1/admin/people/p-hub-1', { name: 'Hub Staff', role: 'staff', biometricConsent: false });
    await adminCall(hub, 'PUT', '/v1/admin/credentials/c-hub-1', { personId: 'p-hub-1', kind: 'card', value: HUB_CARD });
    const always = { groups: ['*'], roles: ['student', 'staff'], weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' }], doors: [] };
    expect((await adminCall(hub, 'PUT', '/v1/admin/schedules/s-always', always)).status).toBe(200);
    const tokenFile = join(made.dir, 'hub.token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const stateDir = join(made.dir, 'state');
    await mkdir(stateDir, { recursive: true });
    const clockFile = join(made.dir, 'clock.json');
    await writeFile(clockFile, JSON.stringify({ offsetMs: 0, ntpSynced: false }));
    await writeFile(made.configFile, JSON.stringify({
      ...(JSON.parse(await readFile(made.configFile, 'utf8')) as Record<string, unknown>),
      device: { id: 'test-kiosk', stateDir },
      sync: { url: hub.url, tokenFile, intervalMs: 1000 },
    }));
    const env = { ESIK_FAKE_CLOCK_FILE: clockFile };

    running = await startKioskChild(made.configFile, made.socketPath, env);
    await waitFor('the hub roster on the kiosk', () => hubCardGranted(made.socketPath), 30_000, 500);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);

    const handle = await open(join(stateDir, 'esik.db'), 'r+');
    await handle.write(Buffer.alloc(100, 0x5a), 0, 100, 0); // the header is gone: nothing is salvageable
    await handle.close();
    running = await startKioskChild(made.configFile, made.socketPath, env);
    const status = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { storeRecovery: { rosterFullPullPending: boolean } };
    expect(status.storeRecovery.rosterFullPullPending).toBe(true);
    // The fresh store knows nobody until the full pull lands; then the hub's person is back.
    await waitFor('the roster pulled again from the hub', () => hubCardGranted(made.socketPath), 30_000, 500);
    await waitFor('the clock trusted from the hub Date header', async () => {
      const view = (await adminRequest(made.socketPath, 'GET', '/v1/status')) as { clock: { trusted: boolean } };
      return view.clock.trusted ? true : undefined;
    }, 30_000, 200);
    const activeHub = hub;
    const alarmOnHub = await waitFor('the db_corrupt alarm on the hub', async () => {
      const events = (await allHubEvents(activeHub)) as unknown as Array<{ deviceId: string; event: { type: string; reason: string | null } }>;
      return events.find((entry) => entry.event.type === 'alarm.raised' && entry.event.reason === 'db_corrupt');
    }, 30_000, 300);
    expect(alarmOnHub.deviceId).toBe('test-kiosk');
  }, 240_000);
});
