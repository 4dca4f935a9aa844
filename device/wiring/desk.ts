// The library desk, when the config has a `library` section: the desk over the kiosk's own store
// (loans, returns and renewals are ordinary events, synced like the rest) and the librarian's page
// on the kiosk's HTTP port at /library. Book scanners and card readers in keyboard mode type into
// the page; the door's readers and hot path are untouched, and without the section nothing here runs.
// With sync.url the catalogue follows the hub's (device/library/catalogue-sync.ts).
import { isLoopbackAddress, normalizeAddress } from '../../lib/index.js';
import { CatalogueSync, LibraryDesk, SnapshotDeskCatalogue, SwappableCatalogue, loadLibraryContext, registerDeskPage, type Borrower } from '../library/index.js';
import { OriginPolicy } from '../security/origin.js';
import type { KioskServices } from '../services.js';
import { hubGetter } from './hub-get.js';

function borrowerByCard(services: KioskServices, card: string): Borrower | null {
  const credential = services.roster.credential('card', card.trim().toUpperCase());
  const person = credential === undefined ? undefined : services.roster.person(credential.personId);
  return person === undefined ? null : { id: person.id, role: person.role, group: person.group, status: person.status };
}

/** The catalogue's updates from the hub, when the kiosk syncs with one; null without sync.url. */
async function catalogueSync(services: KioskServices, catalogue: SwappableCatalogue, file: string, intervalMs: number): Promise<CatalogueSync | null> {
  const fetchCatalogue = await hubGetter(services, `/v1/devices/${encodeURIComponent(services.config.device.id)}/library/catalogue`);
  return fetchCatalogue === null ? null : new CatalogueSync(catalogue, file, fetchCatalogue, services.logger.child({ ns: 'library-catalogue' }), intervalMs);
}

export async function attachDesk(services: KioskServices): Promise<void> {
  const config = services.config.library;
  if (config === undefined) return;
  const catalogue = new SwappableCatalogue(await SnapshotDeskCatalogue.load(config.catalogueFile));
  const desk = new LibraryDesk({ desk: config.desk, events: services.store.events, catalogue, context: await loadLibraryContext(config.rulesFile), clock: services.clock });
  await desk.start();
  const allowed = new Set(config.pageClients.map((address) => normalizeAddress(address)));
  await registerDeskPage(services.http, {
    desk, origins: new OriginPolicy(),
    identify: (card) => borrowerByCard(services, card),
    admit: (address) => isLoopbackAddress(normalizeAddress(address)) || allowed.has(normalizeAddress(address)),
  });
  const updates = await catalogueSync(services, catalogue, config.catalogueFile, config.catalogueRefreshMs);
  services.addStatus('library', () => {
    const port = services.publicPort();
    const snapshot = catalogue.snapshot;
    return { desk: config.desk, page: port === null ? null : `http://127.0.0.1:${port}/library`, copies: snapshot.size, catalogueAsOf: new Date(snapshot.asOfMs).toISOString(), catalogueSync: updates?.status() ?? null };
  });
  if (updates) {
    services.admin.post('/v1/library/catalogue/refresh', async () => ({ updated: await updates.refresh(), ...updates.status() }));
    services.onShutdown(() => updates.stop());
    updates.start();
  }
}
