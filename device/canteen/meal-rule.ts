// The meal rule, as pure functions. The order of the checks is part of the contract: the first
// failing one names the refusal, so a child outside every period is told "outside_period" before
// anything about the tray, and money is looked at last, once the meal itself is allowed.
import { boundaryMs, parseClockTime, toLocalTime, type LocalTime } from '../policy/index.js';
import type {
  CanteenContext,
  Diner,
  FreeMealEntitlement,
  MealDecision,
  MealPeriod,
  MealPeriodKind,
  MealRefusal,
  MealRequest,
  MenuItem,
} from './types.js';

const SCHOOL_WEEK: readonly number[] = [1, 2, 3, 4, 5, 6];

function refuse(reason: MealRefusal, periodId: string | null = null): MealDecision {
  return { outcome: 'refuse', reason, periodId };
}

function isMoney(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function covers(kinds: readonly (MealPeriodKind | '*')[], kind: MealPeriodKind): boolean {
  return kinds.includes('*') || kinds.includes(kind);
}

/** The period open at `local`, or null. A malformed period opens nothing (fail closed). */
function openPeriods(periods: readonly MealPeriod[], local: LocalTime): MealPeriod[] {
  return periods.filter((period) => {
    if (!(period.days ?? SCHOOL_WEEK).includes(local.isoWeekday)) return false;
    try {
      return local.minuteOfDay >= parseClockTime(period.from) && local.minuteOfDay < parseClockTime(period.to);
    } catch {
      return false;
    }
  });
}

function serves(period: MealPeriod, diner: Diner): boolean {
  if (diner.role === 'staff') return period.staff;
  return period.groups.includes('*') || (diner.group !== null && period.groups.includes(diner.group));
}

function entitlementValid(entry: FreeMealEntitlement, kind: MealPeriodKind, nowMs: number, offset: number): boolean {
  if (!covers(entry.periods, kind)) return false;
  try {
    if (entry.validFrom !== null && nowMs < boundaryMs(entry.validFrom, offset, 'start')) return false;
    if (entry.validTo !== null && nowMs >= boundaryMs(entry.validTo, offset, 'end')) return false;
    return true;
  } catch {
    return false; // a garbled window entitles to nothing
  }
}

/** The free-meal category that covers this period now: the register's, or "staff". */
function freeCategoryFor(request: MealRequest, context: CanteenContext, diner: Diner, period: MealPeriod): string | null {
  if (diner.role === 'staff') return context.staffMeals === 'free' ? 'staff' : null;
  const entry = request.freeMeals.find((e) => entitlementValid(e, period.kind, request.nowWallMs, request.utcOffsetMinutes));
  return entry?.category ?? null;
}

interface PricedLine {
  item: MenuItem;
  quantity: number;
}

function priceOrder(request: MealRequest, context: CanteenContext, period: MealPeriod): PricedLine[] | MealRefusal {
  if (request.order.length === 0) return 'empty_order';
  const lines: PricedLine[] = [];
  for (const line of request.order) {
    const item = context.menu.find((candidate) => candidate.id === line.itemId);
    if (item === undefined) return 'unknown_item';
    if (!covers(item.periods, period.kind)) return 'item_not_in_period';
    if (!isMoney(item.priceTiyn) || !Number.isSafeInteger(line.quantity) || line.quantity < 1) return 'invalid_price';
    lines.push({ item, quantity: line.quantity });
  }
  return lines;
}

function allergenBlocked(request: MealRequest, lines: readonly PricedLine[]): boolean {
  const blocked = new Set(request.guardian?.blockedAllergens ?? []);
  return lines.some((line) => line.item.allergens.some((allergen) => blocked.has(allergen)));
}

/** Splits the tray into the free part (one unit of one free-eligible set) and the charge. */
function split(lines: readonly PricedLine[], freeAvailable: boolean): { chargeTiyn: number; subsidyTiyn: number } | null {
  let total = 0;
  let subsidy = 0;
  for (const line of lines) total += line.item.priceTiyn * line.quantity;
  if (freeAvailable) {
    const freeSet = lines.find((line) => line.item.kind === 'set' && line.item.freeEligible);
    if (freeSet) subsidy = freeSet.item.priceTiyn;
  }
  if (!Number.isSafeInteger(total)) return null;
  return { chargeTiyn: total - subsidy, subsidyTiyn: subsidy };
}

function alreadyFree(request: MealRequest, date: string, periodId: string): boolean {
  return request.servedToday.some((meal) => meal.date === date && meal.periodId === periodId && meal.free);
}

function spentToday(request: MealRequest, date: string): number {
  return request.servedToday.reduce((sum, meal) => (meal.date === date && isMoney(meal.chargeTiyn) ? sum + meal.chargeTiyn : sum), 0);
}

/** Money last: the guardian's daily limit, then the balance (with the offline allowance if offline). */
function checkMoney(request: MealRequest, context: CanteenContext, date: string, chargeTiyn: number): MealRefusal | null {
  if (chargeTiyn === 0) return null;
  const limit = request.guardian?.dailyLimitTiyn ?? null;
  if (limit !== null && (!isMoney(limit) || spentToday(request, date) + chargeTiyn > limit)) return 'daily_limit';
  const { tiyn, floorTiyn, offline } = request.balance;
  if (!Number.isSafeInteger(tiyn) || !Number.isSafeInteger(floorTiyn) || !isMoney(context.offlineAllowanceTiyn)) return 'insufficient_balance';
  const lowest = offline ? floorTiyn - context.offlineAllowanceTiyn : floorTiyn;
  return tiyn - chargeTiyn < lowest ? 'insufficient_balance' : null;
}

function checkDiner(request: MealRequest): MealRefusal | Diner {
  const diner = request.person;
  if (diner === null) return 'unknown';
  if (diner.status !== 'active') return 'inactive';
  if (diner.role !== 'student' && diner.role !== 'staff') return 'not_a_diner';
  if (!request.clockTrusted) return 'clock_untrusted';
  return diner;
}

export function mealDecision(request: MealRequest, context: CanteenContext): MealDecision {
  const diner = checkDiner(request);
  if (typeof diner === 'string') return refuse(diner);
  const local = toLocalTime(request.nowWallMs, request.utcOffsetMinutes);
  const open = openPeriods(context.periods, local);
  if (open.length === 0) return refuse('outside_period');
  const period = open.find((candidate) => serves(candidate, diner));
  if (period === undefined) return refuse('class_not_served', open[0]?.id ?? null);

  const lines = priceOrder(request, context, period);
  if (typeof lines === 'string') return refuse(lines, period.id);
  if (diner.role !== 'staff' && allergenBlocked(request, lines)) return refuse('allergen_blocked', period.id);

  const freeCategory = freeCategoryFor(request, context, diner, period);
  const wantsFreeSet = lines.some((line) => line.item.kind === 'set' && line.item.freeEligible);
  const usedFree = freeCategory !== null && alreadyFree(request, local.date, period.id);
  // One free meal per period: an entitled child coming back for a second set is refused, not
  // quietly charged; the till operator sees why and the parents are not billed by surprise.
  if (usedFree && wantsFreeSet) return refuse('already_served_free', period.id);
  const money = split(lines, freeCategory !== null && !usedFree);
  if (money === null) return refuse('invalid_price', period.id);
  const moneyProblem = checkMoney(request, context, local.date, money.chargeTiyn);
  if (moneyProblem) return refuse(moneyProblem, period.id);
  return {
    outcome: money.chargeTiyn === 0 ? 'free' : 'charge',
    reason: null,
    periodId: period.id,
    chargeTiyn: money.chargeTiyn,
    subsidyTiyn: money.subsidyTiyn,
    freeCategory: money.subsidyTiyn > 0 ? freeCategory : null,
    beyondKnownBalance: money.chargeTiyn > request.balance.tiyn - request.balance.floorTiyn,
  };
}
