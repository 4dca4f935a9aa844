// The canteen's vocabulary. mealDecision() is a pure function of these: no clock reads, no I/O, no
// balance lookups, so a till's decision can be replayed from its inputs, like the door's decide().
// Money is integer tiyn everywhere (1 tenge = 100 tiyn); a price that is not a safe integer is a
// configuration error the rule refuses on, never a float it rounds.
import { MEAL_PERIOD_KINDS } from '../../protocol/index.js';
import type { Person } from '../../sync/store/index.js';

export { MEAL_PERIOD_KINDS };
export type MealPeriodKind = (typeof MEAL_PERIOD_KINDS)[number];

/**
 * Stable refusal codes: they go upstream, into reports and onto the till's screen; never rename one.
 * Listed in the order the rule checks them: the first failing check names the refusal.
 */
export const MEAL_REFUSALS = [
  'unknown', // no person for this card, face or palm
  'inactive', // blocked or no longer enrolled
  'not_a_diner', // a visitor or a guardian: the canteen serves pupils and staff
  'clock_untrusted', // the till cannot tell which meal period it is
  'outside_period', // no meal period is open now
  'class_not_served', // a period is open, but not for this class (or not for staff)
  'empty_order', // nothing chosen
  'unknown_item', // an item that is not on the menu
  'item_not_in_period', // on the menu, but not sold in this period
  'invalid_price', // a price or quantity that is not a safe non-negative integer: fail closed
  'allergen_blocked', // an item carries an allergen a guardian blocked
  'already_served_free', // the child's free meal for this period was already served today
  'daily_limit', // the charge would pass the guardian's daily spending limit
  'insufficient_balance', // the charge would take the balance below what the till may spend
] as const;
export type MealRefusal = (typeof MEAL_REFUSALS)[number];

/** A meal period on school-local time ("07:30"–"08:15" on the given ISO weekdays). */
export interface MealPeriod {
  id: string;
  kind: MealPeriodKind;
  from: string;
  to: string;
  /** ISO weekdays (1 = Monday); absent = Monday to Saturday, the Kazakh school week. */
  days?: readonly number[];
  /** Classes served ("5Б"); "*" = every class. */
  groups: readonly string[];
  /** Staff are served in this period. */
  staff: boolean;
}

/**
 * One entry of the free-meal register for this child: a category (e.g. "large_family", "grade_1_4")
 * valid for a window, covering some periods. Boundaries are dates or ISO times, as in device/policy.
 */
export interface FreeMealEntitlement {
  category: string;
  validFrom: string | null;
  validTo: string | null;
  /** Period kinds covered; "*" = all. */
  periods: readonly (MealPeriodKind | '*')[];
}

export interface MenuItem {
  id: string;
  name: string;
  /** 'set': a set meal, the unit a free meal covers; 'item': sold alone (a bun, a drink). */
  kind: 'set' | 'item';
  priceTiyn: number;
  allergens: readonly string[];
  /** Period kinds it is sold in; "*" = all. */
  periods: readonly (MealPeriodKind | '*')[];
  /** A set meal a free-meal entitlement may cover. */
  freeEligible: boolean;
}

export interface OrderLine {
  itemId: string;
  quantity: number;
}

/** What a guardian set for the child (the parent page); null for staff and children without one. */
export interface GuardianSettings {
  /** Most the child may spend in one school-local day; null = no limit. */
  dailyLimitTiyn: number | null;
  blockedAllergens: readonly string[];
}

/** A meal already served to this person, as the till knows it (its own and those synced to it). */
export interface ServedMeal {
  /** School-local date, "2026-09-01". */
  date: string;
  periodId: string;
  free: boolean;
  chargeTiyn: number;
  /** The meal's event, when known (the hub's snapshot names it): the same meal is never counted twice. */
  eventId?: string;
}

/**
 * The balance the till knows: the last synced balance minus the till's own unsynced charges.
 * `offline`: the till has not reached the hub recently, so the balance may be stale; only then
 * may a charge go beyond it, and by at most the per-child offline allowance.
 */
export interface KnownBalance {
  tiyn: number;
  /** Lowest balance allowed online (usually 0). */
  floorTiyn: number;
  offline: boolean;
}

export type Diner = Pick<Person, 'id' | 'role' | 'group' | 'status'>;

export interface MealRequest {
  person: Diner | null;
  order: readonly OrderLine[];
  nowWallMs: number;
  utcOffsetMinutes: number;
  clockTrusted: boolean;
  freeMeals: readonly FreeMealEntitlement[];
  guardian: GuardianSettings | null;
  servedToday: readonly ServedMeal[];
  balance: KnownBalance;
}

export interface CanteenContext {
  periods: readonly MealPeriod[];
  menu: readonly MenuItem[];
  /** Staff eat free (one set meal per period) or pay like anyone else. */
  staffMeals: 'free' | 'paid';
  /** Per-child: how far below the floor an offline till may charge. */
  offlineAllowanceTiyn: number;
}

export type MealDecision =
  | {
      outcome: 'free' | 'charge';
      reason: null;
      periodId: string;
      /** Paid from the person's balance. */
      chargeTiyn: number;
      /** The free meal's value, paid by the subsidy (state budget) account; 0 if none. */
      subsidyTiyn: number;
      /** The entitlement used: a register category, "staff", or null when nothing was free. */
      freeCategory: string | null;
      /** The charge goes beyond the known balance, into the offline allowance. */
      beyondKnownBalance: boolean;
    }
  | { outcome: 'refuse'; reason: MealRefusal; periodId: string | null };
