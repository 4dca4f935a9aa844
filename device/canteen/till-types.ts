// What the canteen till station works with: the diners' canteen data as last synced, the kiosk's
// event log, the clock, and what the operator's page is shown. Narrow structural interfaces, so the
// composition root passes the kiosk's store and clock and tests pass real stores too.
import type { CredentialKind, EventDraft, PersonRole, PersonStatus, StoredEvent } from '../../sync/store/index.js';
import type { FreeMealEntitlement, GuardianSettings, MealDecision, MenuItem, OrderLine, ServedMeal } from './types.js';

/** One diner's canteen data as the hub last sent it (free-meal register, guardian's settings, balance). */
export interface DinerRecord {
  freeMeals: readonly FreeMealEntitlement[];
  guardian: GuardianSettings | null;
  balanceTiyn: number;
  floorTiyn: number;
  /** Meals the hub knew of on `asOfMs`'s day (served at any till). */
  served: readonly ServedMeal[];
}

export interface DinerDirectory {
  diner(personId: string): DinerRecord | null;
  /** When the hub produced these data (wall ms). */
  asOfMs(): number;
  /**
   * The event id of this till's last meal charge the balances include (null: none of them);
   * undefined when the data do not say (a hand-written file): then the till's meals since asOfMs count as not included.
   */
  lastChargeEventId?(): string | null | undefined;
}

export interface TillEventLog {
  append(draft: EventDraft): Promise<StoredEvent>;
  since(afterSeq: number, limit: number): Promise<StoredEvent[]>;
}

export interface TillClock {
  wallMs(): number;
  trusted(): boolean;
  utcOffsetMinutes(): number;
}

/** Who presented, as the roster knows them (the name already masked by display consent). */
export interface TillDiner {
  id: string;
  displayName: string;
  group: string | null;
  role: PersonRole;
  status: PersonStatus;
}

export interface TillPresentation {
  diner: TillDiner | null;
  credential: { kind: CredentialKind; ref?: string } | null;
}

/** What the operator's screen shows for one presentation. */
export interface TillView {
  proposalId: string;
  diner: TillDiner | null;
  entitlement: 'free' | 'paid' | 'staff' | null;
  blockedAllergens: readonly string[];
  /** What the till knows: last synced balance minus its own charges since. */
  balanceTiyn: number | null;
  dailyLimitLeftTiyn: number | null;
  /** The balance is older than the till's freshness bound: charges may use the offline allowance. */
  offline: boolean;
  order: readonly OrderLine[];
  /** The items on sale in the open period, for the operator to change the tray. */
  choices: readonly Pick<MenuItem, 'id' | 'name' | 'kind' | 'priceTiyn' | 'allergens'>[];
  decision: MealDecision;
}

export type TillConfirmation =
  | { status: 'served'; view: TillView; event: StoredEvent }
  | { status: 'refused'; view: TillView }
  | { status: 'unknown_proposal' };

/** A meal this till served, as rebuilt from its log. */
export interface OwnMeal extends ServedMeal {
  personId: string;
  wallMs: number;
  /** The meal event's seq in the till's log (its order). */
  seq: number;
}
