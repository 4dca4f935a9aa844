// The library desk, when the config has a `library` section: the desk over the kiosk's own store
// (loans, returns and renewals are ordinary events, synced like the rest) and the librarian's page
// on the kiosk's HTTP port at /library. Book scanners and card readers in keyboard mode type into
// the page; the door's readers and hot path are untouched, and without the section nothing here runs.
import { isLoopbackAddress, normalizeAddress } from '../../lib/index.js';
import { LibraryDesk, SnapshotDeskCatalogue, loadLibraryContext, registerDeskPage, type Borrower } from '../library/index.js';
import { OriginPolicy } from '../security/origin.js';
import type { KioskServices } from '../services.js';

function borrowerByCard(services: KioskServices, card: string): Borrower | null {
  const credential = services.roster.credential('card', card.trim().toUpperCase());
  const person = credential === undefined ? undefined : services.roster.person(credential.personId);
  return person === undefined ? null : { id: person.id, role: person.role, group: person.group, status: person.status };
}

export async function attachDesk(services: KioskServices): Promise<void> {
  const config = services.config.library;
  if (config === undefined) return;
  const catalogue = await SnapshotDeskCatalogue.load(config.catalogueFile);
  const desk = new LibraryDesk({ desk: config.desk, events: services.store.events, catalogue, context: await loadLibraryContext(config.rulesFile), clock: services.clock });
  await desk.start();
  const allowed = new Set(config.pageClients.map((address) => normalizeAddress(address)));
  await registerDeskPage(services.http, {
    desk, origins: new OriginPolicy(),
    identify: (card) => borrowerByCard(services, card),
    admit: (address) => isLoopbackAddress(normalizeAddress(address)) || allowed.has(normalizeAddress(address)),
  });
  services.addStatus('library', () => {
    const address = services.http.server.address();
    return { desk: config.desk, page: typeof address === 'object' && address ? `http://127.0.0.1:${address.port}/library` : null, copies: catalogue.size, catalogueAsOf: new Date(catalogue.asOfMs).toISOString() };
  });
}
