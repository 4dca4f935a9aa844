// The meal rule's properties over generated days: a child served again and again, by whatever till,
// never gets two free meals in one period (given the served list the till knows); the rule is a
// pure function (same inputs, same decision, inputs untouched); money is integer tiyn, split
// exactly between the child and the subsidy, within the daily limit and the balance the till may
// spend. Runs: ESIK_CANTEEN_RUNS (default 200).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mealDecision, type FreeMealEntitlement, type MealDecision, type MealRequest, type OrderLine, type ServedMeal } from '../../device/canteen/index.js';
import { OFFSET, at, context, menu, request } from './canteen/fixtures.js';

const RUNS = Number(process.env.ESIK_CANTEEN_RUNS ?? 200);
const DAY_START = at('2026-09-01T07:30');

const orderArb = fc.array(fc.record({ itemId: fc.constantFrom(...menu.map((m) => m.id), 'caviar'), quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 });
const entitlementArb: fc.Arbitrary<FreeMealEntitlement[]> = fc.array(
  fc.record({
    category: fc.constantFrom('large_family', 'grade_1_4', 'low_income'),
    validFrom: fc.constantFrom(null, '2026-09-01', '2026-09-02'),
    validTo: fc.constantFrom(null, '2026-09-01', '2026-08-31'),
    periods: fc.subarray(['breakfast', 'lunch', 'snack', '*'] as const, { minLength: 1 }),
  }),
  { maxLength: 2 },
);
const personArb = fc.record({
  id: fc.constant('p-1'),
  role: fc.constantFrom('student' as const, 'staff' as const),
  group: fc.constantFrom('1А', '5Б', '11В', null),
  status: fc.constant('active' as const),
});
/** A presentation: minutes after 07:30 the same day, what is on the tray, the till's view of money. */
// Visits crowd into the periods (a rule about periods is only tested inside them), trays often hold
// just the period's set, and balances sit on multiples of the prices, minus a tiyn or not, so the
// exact edges of the floor and the allowance come up.
const minuteArb = fc.oneof(fc.integer({ min: 30, max: 69 }), fc.integer({ min: 270, max: 359 }), fc.integer({ min: 450, max: 479 }), fc.integer({ min: 0, max: 9 * 60 }));
const setArb = fc.constantFrom('lunch-set', 'breakfast-set').map((itemId) => [{ itemId, quantity: 1 }]);
const visitArb = fc.record({
  minute: minuteArb,
  order: fc.oneof(setArb, orderArb),
  tiyn: fc.tuple(fc.integer({ min: -12, max: 60 }), fc.constantFrom(0, -1)).map(([k, d]) => k * 5_000 + d),
  offline: fc.boolean(),
});
const dayArb = fc.record({
  person: personArb,
  freeMeals: entitlementArb,
  dailyLimit: fc.option(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.constantFrom(0, -1)).map(([k, d]) => Math.max(0, k * 5_000 + d)), { nil: null }),
  staffMeals: fc.constantFrom('free' as const, 'paid' as const),
  visits: fc.array(visitArb, { minLength: 1, maxLength: 25 }),
});

function trayTotal(order: readonly OrderLine[]): number {
  return order.reduce((sum, line) => sum + (menu.find((m) => m.id === line.itemId)?.priceTiyn ?? NaN) * line.quantity, 0);
}

function served(decision: MealDecision): ServedMeal | null {
  if (decision.outcome === 'refuse') return null;
  return { date: '2026-09-01', periodId: decision.periodId, free: decision.subsidyTiyn > 0, chargeTiyn: decision.chargeTiyn };
}

describe('meal rule properties', () => {
  it('never serves two free meals in one period, and money stays integer, exact and within bounds', () => {
    fc.assert(
      fc.property(dayArb, (day) => {
        const history: ServedMeal[] = [];
        const ctx = context({ staffMeals: day.staffMeals });
        for (const visit of [...day.visits].sort((a, b) => a.minute - b.minute)) {
          const req: MealRequest = request({
            person: day.person, order: visit.order, nowWallMs: DAY_START + visit.minute * 60_000, utcOffsetMinutes: OFFSET, freeMeals: day.freeMeals,
            guardian: { dailyLimitTiyn: day.dailyLimit, blockedAllergens: [] }, servedToday: [...history],
            balance: { tiyn: visit.tiyn, floorTiyn: 0, offline: visit.offline },
          });
          const decision = mealDecision(req, ctx);
          if (decision.outcome === 'refuse') continue;
          expect(Number.isSafeInteger(decision.chargeTiyn) && decision.chargeTiyn >= 0).toBe(true);
          expect(Number.isSafeInteger(decision.subsidyTiyn) && decision.subsidyTiyn >= 0).toBe(true);
          const total = trayTotal(visit.order);
          expect(decision.chargeTiyn + decision.subsidyTiyn).toBe(total);
          expect(decision.outcome === 'free').toBe(decision.chargeTiyn === 0);
          const lowest = visit.offline ? -ctx.offlineAllowanceTiyn : 0;
          if (decision.chargeTiyn > 0) expect(visit.tiyn - decision.chargeTiyn).toBeGreaterThanOrEqual(lowest);
          history.push(served(decision)!);
        }
        const spent = history.reduce((sum, meal) => sum + meal.chargeTiyn, 0);
        if (day.dailyLimit !== null && day.person.role === 'student') expect(spent).toBeLessThanOrEqual(day.dailyLimit);
        const freeByPeriod = new Map<string, number>();
        for (const meal of history.filter((m) => m.free)) freeByPeriod.set(meal.periodId, (freeByPeriod.get(meal.periodId) ?? 0) + 1);
        for (const count of freeByPeriod.values()) expect(count).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives no free meal when the served list already holds one for the period, whatever else is asked', () => {
    fc.assert(
      fc.property(personArb, entitlementArb, orderArb, fc.constantFrom('breakfast', 'lunch', 'snack'), (person, freeMeals, order, periodId) => {
        const times = { breakfast: '08:10', lunch: '12:10', snack: '15:10' } as const;
        const req = request({ person, freeMeals, order, nowWallMs: at(`2026-09-01T${times[periodId]}`), servedToday: [{ date: '2026-09-01', periodId, free: true, chargeTiyn: 0 }] });
        const decision = mealDecision(req, context({ staffMeals: 'free' }));
        if (decision.outcome !== 'refuse') expect(decision.subsidyTiyn).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('charges a paying pupil exactly when the limit and the balance (plus the allowance offline) allow it', () => {
    const lunchOrder = fc.array(fc.record({ itemId: fc.constantFrom('lunch-set', 'bun', 'juice'), quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 });
    const edge = fc.tuple(fc.integer({ min: -12, max: 80 }), fc.constantFrom(0, -1, 1)).map(([k, d]) => k * 5_000 + d);
    fc.assert(
      fc.property(lunchOrder, edge, edge, fc.boolean(), fc.boolean(), (order, tiyn, limit, offline, hasLimit) => {
        const dailyLimitTiyn = hasLimit ? Math.max(0, limit) : null;
        const decision = mealDecision(request({ order, guardian: { dailyLimitTiyn, blockedAllergens: [] }, balance: { tiyn, floorTiyn: 0, offline } }), context());
        const total = trayTotal(order);
        const withinLimit = dailyLimitTiyn === null || total <= dailyLimitTiyn;
        const withinBalance = tiyn - total >= (offline ? -context().offlineAllowanceTiyn : 0);
        if (!withinLimit) expect(decision).toMatchObject({ outcome: 'refuse', reason: 'daily_limit' });
        else if (!withinBalance) expect(decision).toMatchObject({ outcome: 'refuse', reason: 'insufficient_balance' });
        else expect(decision).toMatchObject({ outcome: 'charge', chargeTiyn: total, beyondKnownBalance: total > tiyn });
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic and leaves its inputs untouched', () => {
    fc.assert(
      fc.property(dayArb, (day) => {
        const visit = day.visits[0];
        const req = request({ person: day.person, order: visit.order, nowWallMs: DAY_START + visit.minute * 60_000, freeMeals: day.freeMeals, balance: { tiyn: visit.tiyn, floorTiyn: 0, offline: visit.offline } });
        const ctx = context({ staffMeals: day.staffMeals });
        const before = structuredClone({ req, ctx });
        const first = mealDecision(req, ctx);
        expect(mealDecision(structuredClone(req), structuredClone(ctx))).toEqual(first);
        expect({ req, ctx }).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });
});
