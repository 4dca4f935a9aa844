// Consent as the console records it (Law 94-V Art. 8). The record is the evidence (consent-store.ts,
// append-only); the roster flags are what the kiosks already honour (biometricConsent for
// identification, displayConsent for the lobby board), so a record that changes a purpose also
// changes the flag through applyRoster like any admin edit. Withdrawing identification therefore
// erases the child's templates on the hub and leaves tombstones that every kiosk applies on its next
// pull (hub storage applyOne -> eraseTemplatesOf; device/roster-cache.ts drops them); each device's
// acknowledgement is its next pull's cursor, read through the privacy service (device_roster_acks).
//
// An expired term counts as withdrawn, enforced on the hub: expireDue() appends a `term_expired`
// withdrawal and clears the flag for every grant whose last day has passed. The console runs it on a
// timer and before showing a child's consents. Kiosks do not know terms (the wire person has no
// consent term), so between midnight and the next sweep a kiosk still holds the templates: the
// sweep's interval bounds that.
import { v7 as uuidv7 } from 'uuid';
import type { WireRosterChange } from '../../protocol/index.js';
import type { PrivacyService } from '../privacy/index.js';
import type { HubStorage } from '../storage.js';
import type { ConsentChannel, ConsentPurpose, ConsentRecord, ConsentStore } from './consent-store.js';
import { consentPurposes } from './consent-store.js';
import type { PeopleStore } from './people-store.js';

type PersonData = Extract<WireRosterChange, { op: 'upsert'; type: 'person' }>['data'];

export interface NewConsent {
  childId: string;
  guardianId: string;
  action: 'grant' | 'withdraw';
  purposes: ConsentPurpose[];
  channel: Exclude<ConsentChannel, 'term_expired'>;
  givenOn: string;
  until: string | null;
  note: string;
}

export type ConsentProblem = 'not_found' | 'not_guardian' | 'no_purpose' | 'until_past' | 'given_future';
export type RecordOutcome = { ok: true; record: ConsentRecord } | { ok: false; problem: ConsentProblem };

/** A purpose's state from the history: the latest record covering it decides; a lapsed grant is withdrawn. */
export interface PurposeState {
  granted: boolean;
  until: string | null;
  /** The latest record was a grant whose term has passed (the sweep has not written its withdrawal yet). */
  lapsed: boolean;
  /** No record covers this purpose: the roster flag predates the console's records. */
  unrecorded: boolean;
}

export type DeviceAcks = Awaited<ReturnType<PrivacyService['deviceAcks']>>;

export interface ConsentServiceOptions {
  storage: HubStorage;
  store: ConsentStore;
  people: PeopleStore;
  /** Each device's last roster pull; null on a storage without the privacy tables (a test double). */
  privacy: PrivacyService | null;
  now: () => number;
  /** Today in the school's calendar (YYYY-MM-DD). */
  today: () => string;
}

export function purposeStates(records: readonly ConsentRecord[], today: string): Record<ConsentPurpose, PurposeState> {
  const out = {} as Record<ConsentPurpose, PurposeState>;
  for (const purpose of consentPurposes) {
    const latest = records.filter((r) => r.purposes.includes(purpose)).at(-1);
    const lapsed = latest?.action === 'grant' && latest.until !== null && latest.until < today;
    out[purpose] = { granted: latest?.action === 'grant' && !lapsed, until: latest?.action === 'grant' ? latest.until : null, lapsed, unrecorded: latest === undefined };
  }
  return out;
}

/** The person's data with each purpose's flag set as `granted` says; null when nothing changes. */
function withFlags(person: PersonData, granted: Partial<Record<ConsentPurpose, boolean>>): PersonData | null {
  const next = { ...person };
  if (granted.identification !== undefined) next.biometricConsent = granted.identification;
  // A board grant keeps a finer level already set (initials, full name); "short" is the school's default.
  if (granted.board !== undefined) next.displayConsent = granted.board ? (person.displayConsent === 'none' ? 'short' : person.displayConsent) : 'none';
  return next.biometricConsent === person.biometricConsent && next.displayConsent === person.displayConsent ? null : next;
}

export class ConsentService {
  constructor(private readonly options: ConsentServiceOptions) {}

  private async person(id: string): Promise<PersonData | null> {
    const change = await this.options.storage.rosterEntity('person', id);
    return change?.op === 'upsert' && change.type === 'person' ? change.data : null;
  }

  /** The flags through applyRoster (the purge path kiosks already follow); the cursor, or null when unchanged. */
  private async applyFlags(person: PersonData, granted: Partial<Record<ConsentPurpose, boolean>>): Promise<number | null> {
    const next = withFlags(person, granted);
    return next === null ? null : this.options.storage.applyRoster([{ op: 'upsert', type: 'person', data: next }]);
  }

  /**
   * Records a grant or withdrawal given by a guardian linked to the child, and sets the roster flags.
   * The flags go first: a withdrawal's purge must not wait on the record; a failed record write is
   * reported to the operator, who records it again (the flags are then already so: cursor null).
   */
  async record(input: NewConsent, recordedBy: string): Promise<RecordOutcome> {
    const today = this.options.today();
    if (input.purposes.length === 0) return { ok: false, problem: 'no_purpose' };
    if (input.givenOn > today) return { ok: false, problem: 'given_future' };
    if (input.action === 'grant' && input.until !== null && input.until < today) return { ok: false, problem: 'until_past' };
    const person = await this.person(input.childId);
    if (person === null) return { ok: false, problem: 'not_found' };
    const guardian = ((await this.options.people.guardiansOf([input.childId])).get(input.childId) ?? []).find((g) => g.id === input.guardianId);
    if (!guardian) return { ok: false, problem: 'not_guardian' };
    const granted = Object.fromEntries(input.purposes.map((p) => [p, input.action === 'grant']));
    const rosterCursor = await this.applyFlags(person, granted);
    const record: ConsentRecord = {
      id: uuidv7(), childId: input.childId, guardianId: guardian.id, guardianName: guardian.name, action: input.action, purposes: [...input.purposes], channel: input.channel,
      givenOn: input.givenOn, until: input.action === 'grant' ? input.until : null, recordedMs: this.options.now(), recordedBy, rosterCursor, note: input.note,
    };
    await this.options.store.append(record);
    return { ok: true, record };
  }

  today(): string {
    return this.options.today();
  }

  /** The roster flags as the kiosks see them now (false for a person not on the roster). */
  async flags(childId: string): Promise<Record<ConsentPurpose, boolean>> {
    const person = await this.person(childId);
    return { identification: person?.biometricConsent ?? false, board: (person?.displayConsent ?? 'none') !== 'none' };
  }

  async history(childId: string): Promise<{ records: ConsentRecord[]; states: Record<ConsentPurpose, PurposeState> }> {
    const records = await this.options.store.history(childId);
    return { records, states: purposeStates(records, this.options.today()) };
  }

  /**
   * Withdraws every grant whose term has passed (one `term_expired` record per child), or only
   * `onlyChild`'s (a page about one child need not sweep the school); returns the records written.
   */
  async expireDue(onlyChild?: string): Promise<ConsentRecord[]> {
    const today = this.options.today();
    const written: ConsentRecord[] = [];
    const candidates = await this.options.store.childrenWithLapsedGrants(today);
    for (const childId of onlyChild === undefined ? candidates : candidates.filter((c) => c === onlyChild)) {
      const states = purposeStates(await this.options.store.history(childId), today);
      const lapsed = consentPurposes.filter((p) => states[p].lapsed);
      if (lapsed.length === 0) continue;
      const person = await this.person(childId);
      const rosterCursor = person === null ? null : await this.applyFlags(person, Object.fromEntries(lapsed.map((p) => [p, false])));
      const record: ConsentRecord = {
        id: uuidv7(), childId, guardianId: null, guardianName: '', action: 'withdraw', purposes: lapsed, channel: 'term_expired', givenOn: today, until: null,
        recordedMs: this.options.now(), recordedBy: 'hub', rosterCursor, note: '',
      };
      await this.options.store.append(record);
      written.push(record);
    }
    return written;
  }

  /** Each enabled device and whether its last pull reached `cursor` (the purge is then applied there). */
  async acks(cursor: number): Promise<DeviceAcks> {
    return this.options.privacy ? this.options.privacy.deviceAcks(cursor) : [];
  }
}
