// What the parents' page reads and changes. Consents live where the hub already keeps them: the
// roster's person flags (biometricConsent: identification by face or palm; displayConsent: the lobby
// board) are changed through applyRoster like any admin edit, so kiosks purge on their next pull; the
// roster has no flag for notices, so that withdrawal is kept by the notifier (notify_withdrawals) and
// honoured by its planner and dispatcher. A data request is registered with the privacy service.
import type { LibraryStore } from '../library/index.js';
import type { PrivacyService, StoredRequest } from '../privacy/index.js';
import type { HubStorage } from '../storage.js';
import { schoolClock } from './attendance.js';
import { localTime } from './catalog.js';
import type { GuardianRecord, NotifyStore, PageLink } from './model.js';
import type { ChildView, Flash, PageView } from './parent-view.js';
import type { Purpose } from './parent-words.js';

export interface ParentPageDataOptions {
  store: NotifyStore;
  storage: HubStorage;
  timeZone: string;
  now: () => number;
  /** The school library, when the hub serves one: the child's open loans. */
  library?: LibraryStore | null;
  /** The canteen's served meals (hub/canteen's MealStore), when the hub runs the canteen. */
  meals?: MealReader | null;
}

/** What the page needs of the canteen's meal store. */
export interface MealReader {
  meals(personId: string): Promise<Array<{ date: string; periodId: string; free: boolean; chargeTiyn: number }>>;
}

type PersonData = Extract<Awaited<ReturnType<HubStorage['rosterEntity']>>, { op: 'upsert'; type: 'person' }>['data'];

export class ParentPageData {
  constructor(private readonly options: ParentPageDataOptions) {}

  /** The page of these guardian rows: each child still on the roster, today's passages, the consents. */
  async view(link: { link: PageLink; guardians: GuardianRecord[] }, path: string, flash: Flash | null): Promise<PageView> {
    const { startMs, endMs, day } = this.today();
    const childIds = [...new Set(link.guardians.map((g) => g.personId))];
    const [passages, withdrawn] = await Promise.all([this.options.store.passages(childIds, startMs, endMs), this.options.store.noticesWithdrawn(childIds)]);
    const children: ChildView[] = [];
    for (const personId of childIds) {
      const person = await this.person(personId);
      if (!person) continue;
      children.push({
        personId,
        // The first word of the roster name only: no surname, no class.
        firstName: person.name.trim().split(/\s+/)[0] ?? '—',
        passages: passages.filter((p) => p.personId === personId).map((p) => ({ time: localTime(new Date(p.atMs).toISOString(), this.options.timeZone), door: p.door, direction: p.direction })),
        consents: { identification: person.biometricConsent, board: person.displayConsent !== 'none', notices: !withdrawn.has(personId) },
        loans: await this.loans(personId),
        meals: this.options.meals
          ? (await this.options.meals.meals(personId)).filter((m) => m.date === day).map((m) => ({ period: m.periodId, free: m.free, chargeTiyn: m.chargeTiyn }))
          : null,
      });
    }
    const first = link.guardians[0];
    return { language: first?.language ?? 'en', path, formToken: link.link.formToken, children, quiet: first?.quiet ?? null, flash };
  }

  async withdraw(guardian: GuardianRecord, purpose: Purpose): Promise<void> {
    if (purpose === 'notices') {
      await this.options.store.withdrawNotices(guardian.personId, guardian.id, this.options.now());
      return;
    }
    const person = await this.person(guardian.personId);
    if (!person) return;
    // Withdrawing twice changes nothing (no new roster change for the kiosks to pull).
    if (purpose === 'identification' && person.biometricConsent) {
      await this.options.storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...person, biometricConsent: false } }]);
    }
    if (purpose === 'board' && person.displayConsent !== 'none') {
      await this.options.storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...person, displayConsent: 'none' } }]);
    }
  }

  /** A "what do you hold" request, received today through the page, on the privacy service's register. */
  requestData(privacy: PrivacyService, guardian: GuardianRecord): Promise<StoredRequest> {
    return privacy.register({
      kind: 'know', personId: guardian.personId, requester: `guardian ${guardian.id}`, channel: 'other', receivedOn: privacy.today(),
      note: "parents' page",
    });
  }

  /** Titles and due dates of the child's open loans (a copy no longer in the catalogue is skipped). */
  private async loans(personId: string): Promise<ChildView['loans']> {
    const library = this.options.library;
    if (!library) return null;
    const out: NonNullable<ChildView['loans']> = [];
    for (const loan of await library.openLoans(personId)) {
      const copy = await library.copy(loan.copyId);
      const title = copy ? await library.title(copy.titleId) : null;
      if (title) out.push({ title: title.title, dueDate: loan.dueDate });
    }
    return out;
  }

  private async person(personId: string): Promise<PersonData | null> {
    const entity = await this.options.storage.rosterEntity('person', personId);
    return entity?.op === 'upsert' && entity.type === 'person' ? entity.data : null;
  }

  /** The school's local day around now: [start, end) in ms (zone offsets are whole minutes). */
  private today(): { startMs: number; endMs: number; day: string } {
    const now = this.options.now();
    const { minutes, day } = schoolClock(now, this.options.timeZone);
    const startMs = now - (now % 60_000) - minutes * 60_000;
    return { startMs, endMs: startMs + 86_400_000, day };
  }
}
