// The demo's hub is set up as a school's technician sets up a real one: the kiosk is registered and
// its token handed over in a private file, and the school's roster is loaded into the hub, from
// which the kiosk pulls it. All through the hub's admin HTTP API, never around it.
import { access } from 'node:fs/promises';
import { safeWriteFile, PRIVATE_FILE_MODE } from '../../lib/index.js';

export interface HubAdmin {
  url: string;
  token: string;
}

/** Calls the hub's admin API; a non-2xx answer throws with the hub's own message. */
async function adminCall(hub: HubAdmin, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, hub.url), {
    method,
    headers: { authorization: `Bearer ${hub.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`hub ${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Makes sure the kiosk holds a token the hub accepts: registers the device on a new hub, rotates its
 * token when the file was lost, and keeps both as they are on a restart of the demo.
 */
export async function ensureDeviceToken(hub: HubAdmin, deviceId: string, tokenFile: string): Promise<'kept' | 'registered' | 'rotated'> {
  const listed = (await adminCall(hub, 'GET', '/v1/admin/devices')) as { devices: Array<{ id: string }> };
  const registered = listed.devices.some((device) => device.id === deviceId);
  if (registered && (await exists(tokenFile))) return 'kept';
  const answer = registered
    ? ((await adminCall(hub, 'POST', `/v1/admin/devices/${encodeURIComponent(deviceId)}/token`)) as { token: string })
    : ((await adminCall(hub, 'POST', '/v1/admin/devices', { id: deviceId, name: 'demo kiosk' })) as { token: string });
  await safeWriteFile(tokenFile, `${answer.token}\n`, PRIVATE_FILE_MODE);
  return registered ? 'rotated' : 'registered';
}

/** Loads the roster into a hub that has none yet (no class known to it); returns how many changes. */
export async function seedHubRoster(hub: HubAdmin, changes: readonly unknown[]): Promise<number> {
  const groups = (await adminCall(hub, 'GET', '/v1/admin/groups')) as { groups: unknown[] };
  if (groups.groups.length > 0 || changes.length === 0) return 0;
  const answer = (await adminCall(hub, 'POST', '/v1/admin/roster/batch', { changes })) as { applied: number };
  return answer.applied;
}
