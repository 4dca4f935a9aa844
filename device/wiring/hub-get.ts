// A GET of one of the hub's device routes with the kiosk's own token, over the sync client's HTTP
// (custom CA, certificate pins, timeout): what a station's periodic refresh from the hub calls (the
// desk's catalogue, the till's snapshot). Null when the kiosk does not sync with a hub.
import { readFile } from 'node:fs/promises';
import { HubHttp, createHubDispatcher } from '../../sync/index.js';
import type { KioskServices } from '../services.js';

export async function hubGetter(services: KioskServices, path: string): Promise<(() => Promise<unknown>) | null> {
  const sync = services.config.sync;
  const tokenFile = sync.tokenFile;
  if (!sync.url || !tokenFile) return null;
  const dispatcher = sync.url.startsWith('https:') ? createHubDispatcher({ ca: sync.caFile ? await readFile(sync.caFile) : undefined, pins: sync.pins }) : undefined;
  const http = new HubHttp({ baseUrl: sync.url, dispatcher, requestTimeoutMs: 20_000, userAgent: `esik-kiosk/${services.config.device.id}`, now: () => services.clock.wallMs() });
  // The token file is read at each call: a token rotated by the technician is used from the next refresh.
  return async () => (await http.request('GET', path, (await readFile(tokenFile, 'utf8')).trim())).body;
}
