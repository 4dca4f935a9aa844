// The canteen till station, when the config has a `canteen` section: the till over the kiosk's own
// store (its meals are ordinary events, synced like the rest), the operator's page on the kiosk's
// HTTP port, and the readers that name the till. Those readers never reach the door's hot path and
// the door's readers never reach the till; without the section nothing here runs. With sync.url
// the till's menu and diners files follow the hub's snapshot (device/canteen/snapshot-sync.ts).
import type { Person } from '../../sync/store/index.js';
import { isLoopbackAddress, normalizeAddress } from '../../lib/index.js';
import { maskName } from '../board-feed.js';
import { readFile } from 'node:fs/promises';
import { CanteenTill, HttpTillPeers, SnapshotDinerDirectory, SwappableDiners, TillSnapshotSync, loadCanteenContext, registerPeerRoute, registerTillPage, type TillPresentation } from '../canteen/index.js';
import type { CredentialReader, Presentation } from '../hw/index.js';
import { identify } from '../kiosk/index.js';
import { OriginPolicy } from '../security/origin.js';
import type { KioskServices } from '../services.js';
import { hubGetter } from './hub-get.js';
import { attachReceiptPrinter } from './till-printer.js';

function presentationOf(person: Person | null, credential: TillPresentation['credential']): TillPresentation {
  if (person === null) return { diner: null, credential };
  return { diner: { id: person.id, displayName: maskName(person), group: person.group, role: person.role, status: person.status }, credential };
}

/** Presentations at the till's readers: identified like at a door (card map lookup, face/palm matcher), then proposed. */
function feedReader(services: KioskServices, till: CanteenTill, reader: CredentialReader, tillName: string): void {
  reader.on('presentation', (presentation: Presentation) => {
    identify(presentation, services.roster, services.kiosk.biometricIdentifier, tillName)
      .then((found) => {
        if (found.kind !== 'identified') return;
        till.presentFromReader(presentationOf(found.person, { kind: presentation.kind, ...(found.ref === undefined ? {} : { ref: found.ref }) }));
      })
      .catch((error: unknown) => services.logger.error({ err: error, reader: reader.id }, 'till presentation failed'))
      .finally(() => reader.settled?.(presentation));
  });
  reader.on('warning', (message) => services.logger.warn({ reader: reader.id }, message));
}

async function readPeerToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < 16) throw new Error(`canteen.peerTokenFile ${file}: the token must be at least 16 characters`);
  return token;
}

/** Returns the ids of the readers the till took (main.ts attaches the others to the doors). */
export async function attachTill(services: KioskServices): Promise<Set<string>> {
  const config = services.config.canteen;
  if (config === undefined) return new Set();
  const peerToken = config.peerTokenFile === undefined ? null : await readPeerToken(config.peerTokenFile);
  const diners = new SwappableDiners(await SnapshotDinerDirectory.load(config.dinersFile));
  const till = new CanteenTill({
    till: config.till, deviceId: services.config.device.id, events: services.store.events,
    directory: diners,
    context: await loadCanteenContext(config.menuFile, config.offlineAllowanceTiyn),
    clock: services.clock, staleAfterMs: config.staleAfterMs,
    ...(peerToken !== null && config.peers.length > 0 ? { peers: new HttpTillPeers({ urls: config.peers, token: peerToken }) } : {}),
  });
  await till.start();
  if (peerToken !== null) await registerPeerRoute(services.http, { till, token: peerToken });
  const allowed = new Set(config.pageClients.map((address) => normalizeAddress(address)));
  const printer = config.printer === undefined ? null : attachReceiptPrinter(services, config.printer);
  await registerTillPage(services.http, {
    till, origins: new OriginPolicy(),
    identify: (card) => {
      const credential = services.roster.credential('card', card.trim().toUpperCase()) ?? null;
      const person = credential === null ? null : (services.roster.person(credential.personId) ?? null);
      return presentationOf(person, credential === null ? null : { kind: 'card', ref: credential.id });
    },
    admit: (address) => isLoopbackAddress(normalizeAddress(address)) || allowed.has(normalizeAddress(address)),
    onServed: (served) => printer?.print(served),
  });
  const claimed = new Set<string>();
  for (const reader of services.readers.values()) {
    if (reader.door !== config.till) continue;
    feedReader(services, till, reader, config.till);
    claimed.add(reader.id);
  }
  const fetchSnapshot = await hubGetter(services, `/v1/devices/${encodeURIComponent(services.config.device.id)}/canteen/snapshot`);
  const updates = fetchSnapshot === null ? null : new TillSnapshotSync({
    till, diners, menuFile: config.menuFile, dinersFile: config.dinersFile, fetchSnapshot, offlineAllowanceTiyn: config.offlineAllowanceTiyn,
    logger: services.logger.child({ ns: 'canteen-snapshot' }), intervalMs: config.snapshotRefreshMs,
  });
  services.addStatus('canteen', () => {
    const port = services.publicPort();
    return {
      till: config.till, page: port === null ? null : `http://127.0.0.1:${port}/canteen`, mealsServed: till.meals().length, printer: printer?.status() ?? null,
      dinersAsOf: new Date(diners.asOfMs()).toISOString(), snapshotSync: updates?.status() ?? null,
    };
  });
  services.admin.get('/v1/canteen/meals', () => ({ till: config.till, meals: till.meals() }));
  if (updates) {
    services.admin.post('/v1/canteen/snapshot/refresh', async () => ({ updated: await updates.refresh(), ...updates.status() }));
    services.onShutdown(() => updates.stop());
    updates.start();
  }
  return claimed;
}
