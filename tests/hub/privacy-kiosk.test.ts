// A guardian's block and destroy requests carried out end to end: the real hub process (SQLite) and
// the real kiosk process (`esik run`, simulated reader) syncing every second. A block is in force
// on the kiosk after its next sync (the card is denied) and the request closes on the kiosk's
// acknowledgement; a destroy ends with the kiosk's acknowledgement, and a raw byte scan of the
// hub's database files (db, -wal, -shm) and of the kiosk's whole state folder finds neither the
// child's name (UTF-8, UTF-16LE), nor their card value, nor their template (float32 or base64).
// On PostgreSQL the same runs with the kiosk's folder scanned and the hub's files not: PostgreSQL
// keeps old row versions in its WAL segments and base backups, which no statement of the hub can
// clear (see privacy-requests.test.ts for what is checked through SQL there).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';
import { startKioskChild, waitFor, type KioskChild } from '../fault/helpers.js';
import { filesUnder, scanFiles } from '../helpers/file-scan.js';
import { adminCall, registerDevice, startHubProcess, tempDir, type HubProcess } from '../sync/helpers.js';
import { CHILD, allDaySchedule, childNeedles, childRoster, newRequest, otherRoster } from './privacy-fixture.js';

interface Decision {
  decided: boolean;
  outcome?: string;
  personId?: string | null;
}

/** The hub process on `storage`: startHubProcess reads the storage from the environment. */
async function startHub(storage: 'sqlite' | 'postgres', dbFile: string): Promise<HubProcess> {
  const previous = process.env.ESIK_TEST_HUB_STORAGE;
  if (storage === 'postgres') process.env.ESIK_TEST_HUB_STORAGE = 'postgres';
  else delete process.env.ESIK_TEST_HUB_STORAGE;
  try {
    return await startHubProcess(dbFile);
  } finally {
    if (previous === undefined) delete process.env.ESIK_TEST_HUB_STORAGE;
    else process.env.ESIK_TEST_HUB_STORAGE = previous;
  }
}

describe.each([['sqlite' as const], ['postgres' as const]])('data-subject requests reaching a real kiosk, hub on %s', (storage) => {
  let hub: HubProcess;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let kioskDir: DaemonDir;
  let kiosk: KioskChild;

  const present = async (value: string): Promise<Decision> => (await adminRequest(kioskDir.socketPath, 'POST', '/v1/simulate', { actor: 'privacy-test', door: 'main', value })) as Decision;
  type RequestView = { status: string; record: { acknowledgements?: { devices: Array<{ deviceId: string; done: boolean; ackedCursor: number | null }> } } };
  const requestState = async (id: string): Promise<RequestView> => (await adminCall(hub, 'GET', `/v1/admin/privacy/requests/${id}`)).json as RequestView;

  beforeAll(async () => {
    tmp = await tempDir('esik-privacy-kiosk-');
    hub = await startHub(storage, join(tmp.dir, 'hub', 'hub.db'));
    expect((await adminCall(hub, 'POST', '/v1/admin/roster/batch', { changes: [allDaySchedule(), ...childRoster(), ...otherRoster()] })).status).toBe(200);
    const tokenFile = join(tmp.dir, 'device.token');
    await writeFile(tokenFile, `${await registerDevice(hub, 'kiosk-1')}\n`, { mode: 0o600 });
    kioskDir = await daemonDir({});
    // No seed roster: the kiosk knows the child only through the hub.
    await writeFile(kioskDir.configFile, JSON.stringify({
      ...(JSON.parse(await readFile(kioskDir.configFile, 'utf8')) as Record<string, unknown>),
      device: { id: 'kiosk-1', stateDir: join(kioskDir.dir, 'state') },
      sync: { url: hub.url, tokenFile, intervalMs: 1000 },
    }));
    kiosk = await startKioskChild(kioskDir.configFile, kioskDir.socketPath);
    let last: Decision | null = null;
    await waitFor('the child known on the kiosk', async () => ((last = await present(CHILD.card)).outcome === 'grant' ? true : undefined), 60_000, 500).catch((error: unknown) => {
      throw new Error(`${String(error)}; last decision ${JSON.stringify(last)}; kiosk said:\n${kiosk.output().slice(-3000)}`);
    });
  }, 120_000);
  afterAll(async () => {
    await kiosk?.kill();
    await hub?.stop();
    await kioskDir?.cleanup();
    await tmp?.cleanup();
  });

  it('blocks the child on the kiosk within a sync and closes on its acknowledgement', async () => {
    const request = await newRequest(hub, 'block', '2026-09-01');
    expect((await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${request.id}/execute`)).json.request.status).toBe('awaiting_devices');
    const denied = await waitFor('card denied after the block', async () => {
      const decision = await present(CHILD.card);
      return decision.outcome === 'deny' ? decision : undefined;
    }, 15_000, 250);
    expect(denied.decided).toBe(true);
    const closed = await waitFor('block acknowledged', async () => {
      const state = await requestState(request.id);
      return state.status === 'closed' ? state : undefined;
    }, 15_000, 250);
    expect(closed.record.acknowledgements?.devices).toEqual([expect.objectContaining({ deviceId: 'kiosk-1', done: true })]);
    expect((await present('04BEEF0001')).outcome).toBe('grant');
  }, 60_000);

  it('destroys the child on the hub and the kiosk, closes with the kiosk\'s acknowledgement, and no file holds their name, card or template', async () => {
    expect((await adminCall(hub, 'POST', `/v1/admin/people/${CHILD.id}/unblock`)).status).toBe(200);
    await waitFor('card granted again after unblock', async () => ((await present(CHILD.card)).outcome === 'grant' ? true : undefined), 15_000, 250);
    const hubFiles = storage === 'sqlite' ? [join(tmp.dir, 'hub')] : [];
    const kioskState = join(kioskDir.dir, 'state');
    // The kiosk's scan can see too: it keeps card values in clear for its lookups (names and templates sealed).
    expect(await scanFiles([kioskState], childNeedles())).toContainEqual(expect.stringMatching(/card value \(UTF-8\)$/));
    if (storage === 'sqlite') {
      // The scan can see: before the destruction the hub's files hold the child's card (in clear
      // for lookups); the name is sealed with the child's key (hub/keys), so never in clear.
      const before = await scanFiles(hubFiles, childNeedles());
      expect(before.some((hit) => hit.endsWith('card value (UTF-8)'))).toBe(true);
      expect(before.filter((hit) => /name|template/.test(hit))).toEqual([]);
    }
    const request = await newRequest(hub, 'destroy', '2026-09-01');
    expect((await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${request.id}/execute`)).status).toBe(200);
    const closed = await waitFor('destruction acknowledged', async () => {
      const state = await requestState(request.id);
      return state.status === 'closed' ? state : undefined;
    }, 20_000, 250);
    expect(closed.record.acknowledgements?.devices).toEqual([expect.objectContaining({ deviceId: 'kiosk-1', done: true })]);
    const after = await present(CHILD.card);
    expect(after.outcome).toBe('deny');
    expect(after.personId ?? null).toBeNull();

    expect((await filesUnder(kioskState)).some((f) => f.endsWith('.db'))).toBe(true);
    if (storage === 'sqlite') expect((await filesUnder(join(tmp.dir, 'hub'))).some((f) => f.endsWith('hub.db'))).toBe(true);
    expect(await scanFiles([...hubFiles, kioskState], childNeedles())).toEqual([]);
  }, 60_000);
});
