// The meal rule by example: one test per refusal code (the last test checks that every code was
// seen), free meals and their one-per-period rule, staff meals, the daily limit and the balance
// online and offline.
import { afterAll, describe, expect, it } from 'vitest';
import { MEAL_REFUSALS, mealDecision, type CanteenContext, type MealDecision, type MealRefusal, type MealRequest } from '../../device/canteen/index.js';
import { at, context, freeLunches, request } from './canteen/fixtures.js';

const seen = new Set<MealRefusal>();

function run(req: Partial<MealRequest> = {}, ctx: Partial<CanteenContext> = {}): MealDecision {
  const decision = mealDecision(request(req), context(ctx));
  if (decision.outcome === 'refuse') seen.add(decision.reason);
  return decision;
}

describe('meal rule: paying pupils', () => {
  it('charges a pupil the price of the tray inside lunch', () => {
    expect(run()).toEqual({ outcome: 'charge', reason: null, periodId: 'lunch', chargeTiyn: 95_000, subsidyTiyn: 0, freeCategory: null, beyondKnownBalance: false });
    expect(run({ order: [{ itemId: 'lunch-set', quantity: 1 }, { itemId: 'juice', quantity: 2 }] })).toMatchObject({ chargeTiyn: 155_000 });
  });

  it('refuses outside every period, and a class the open period does not serve', () => {
    expect(run({ nowWallMs: at('2026-09-01T10:00') })).toMatchObject({ outcome: 'refuse', reason: 'outside_period', periodId: null });
    expect(run({ nowWallMs: at('2026-09-05T12:10') }).outcome).toBe('charge'); // Saturday is a school day
    expect(run({ nowWallMs: at('2026-09-06T12:10') }).reason).toBe('outside_period'); // Sunday
    expect(run({ nowWallMs: at('2026-09-01T08:10'), order: [{ itemId: 'breakfast-set', quantity: 1 }] })).toMatchObject({ reason: 'class_not_served', periodId: 'breakfast' });
  });

  it('refuses an unknown person, one who left or is blocked, a visitor, and an untrusted clock', () => {
    expect(run({ person: null }).reason).toBe('unknown');
    expect(run({ person: { id: 'p', role: 'student', group: '5Б', status: 'blocked' } }).reason).toBe('inactive');
    expect(run({ person: { id: 'p', role: 'student', group: '5Б', status: 'inactive' } }).reason).toBe('inactive');
    expect(run({ person: { id: 'v', role: 'visitor', group: null, status: 'active' } }).reason).toBe('not_a_diner');
    expect(run({ clockTrusted: false }).reason).toBe('clock_untrusted');
  });

  it('refuses an empty tray, an unknown item, an item not sold now, and a bad price or quantity', () => {
    expect(run({ order: [] }).reason).toBe('empty_order');
    expect(run({ order: [{ itemId: 'caviar', quantity: 1 }] }).reason).toBe('unknown_item');
    expect(run({ order: [{ itemId: 'nuts', quantity: 1 }] }).reason).toBe('item_not_in_period');
    expect(run({ order: [{ itemId: 'juice', quantity: 0 }] }).reason).toBe('invalid_price');
    expect(run({ order: [{ itemId: 'juice', quantity: 1.5 }] }).reason).toBe('invalid_price');
    const floaty = context().menu.map((item) => (item.id === 'juice' ? { ...item, priceTiyn: 300.5 } : item));
    expect(run({ order: [{ itemId: 'juice', quantity: 1 }] }, { menu: floaty }).reason).toBe('invalid_price');
    expect(run({ order: [{ itemId: 'juice', quantity: Number.MAX_SAFE_INTEGER }] }).reason).toBe('invalid_price');
  });

  it('refuses a dish with an allergen a guardian blocked', () => {
    const guardian = { dailyLimitTiyn: null, blockedAllergens: ['egg'] };
    expect(run({ guardian, order: [{ itemId: 'bun', quantity: 1 }] })).toMatchObject({ reason: 'allergen_blocked', periodId: 'lunch' });
    expect(run({ guardian }).outcome).toBe('charge');
  });

  it('keeps to the daily limit, counting what was paid earlier today only', () => {
    const earlier = [{ date: '2026-09-01', periodId: 'breakfast', free: false, chargeTiyn: 150_000 }];
    expect(run({ servedToday: earlier }).reason).toBe('daily_limit');
    expect(run({ servedToday: [{ ...earlier[0], date: '2026-08-31' }] }).outcome).toBe('charge');
    expect(run({ guardian: { dailyLimitTiyn: 95_000, blockedAllergens: [] } }).outcome).toBe('charge');
    expect(run({ guardian: { dailyLimitTiyn: 94_999, blockedAllergens: [] } }).reason).toBe('daily_limit');
  });

  it('charges online down to the floor, and offline by at most the allowance beyond it', () => {
    expect(run({ balance: { tiyn: 95_000, floorTiyn: 0, offline: false } }).outcome).toBe('charge');
    expect(run({ balance: { tiyn: 94_999, floorTiyn: 0, offline: false } }).reason).toBe('insufficient_balance');
    expect(run({ balance: { tiyn: 45_000, floorTiyn: 0, offline: true } })).toMatchObject({ outcome: 'charge', beyondKnownBalance: true });
    expect(run({ balance: { tiyn: 44_999, floorTiyn: 0, offline: true } }).reason).toBe('insufficient_balance');
  });
});

describe('meal rule: free meals and staff', () => {
  it('serves a registered child one free lunch, charging only the extras', () => {
    expect(run({ freeMeals: freeLunches, balance: { tiyn: 0, floorTiyn: 0, offline: false } })).toEqual({
      outcome: 'free', reason: null, periodId: 'lunch', chargeTiyn: 0, subsidyTiyn: 95_000, freeCategory: 'large_family', beyondKnownBalance: false,
    });
    expect(run({ freeMeals: freeLunches, order: [{ itemId: 'lunch-set', quantity: 1 }, { itemId: 'juice', quantity: 1 }] })).toMatchObject({ outcome: 'charge', chargeTiyn: 30_000, subsidyTiyn: 95_000 });
    expect(run({ freeMeals: freeLunches, order: [{ itemId: 'lunch-set', quantity: 2 }] })).toMatchObject({ chargeTiyn: 95_000, subsidyTiyn: 95_000 });
  });

  it('refuses a second free lunch in the same period the same day, but not the next day or the next period', () => {
    const served = [{ date: '2026-09-01', periodId: 'lunch', free: true, chargeTiyn: 0 }];
    expect(run({ freeMeals: freeLunches, servedToday: served })).toMatchObject({ reason: 'already_served_free', periodId: 'lunch' });
    expect(run({ freeMeals: freeLunches, servedToday: served, order: [{ itemId: 'juice', quantity: 1 }] })).toMatchObject({ outcome: 'charge', subsidyTiyn: 0 });
    expect(run({ freeMeals: freeLunches, servedToday: [{ ...served[0], date: '2026-08-31' }] }).outcome).toBe('free');
  });

  it('honours the register window and the periods it covers; a garbled window entitles to nothing', () => {
    expect(run({ freeMeals: [{ ...freeLunches[0], validTo: '2026-08-31' }] }).outcome).toBe('charge');
    expect(run({ freeMeals: [{ ...freeLunches[0], validFrom: '2026-09-02' }] }).outcome).toBe('charge');
    expect(run({ freeMeals: [{ ...freeLunches[0], periods: ['breakfast'] }] }).outcome).toBe('charge');
    expect(run({ freeMeals: [{ ...freeLunches[0], validTo: 'soon' }] }).outcome).toBe('charge');
    expect(run({ freeMeals: [{ ...freeLunches[0], validTo: '2026-09-01' }] }).outcome).toBe('free'); // the whole last day
  });

  it('serves staff in the periods open to staff, free or paid by config, without a guardian', () => {
    const teacher = { id: 't-1', role: 'staff' as const, group: null, status: 'active' as const };
    expect(run({ person: teacher, guardian: null })).toMatchObject({ outcome: 'charge', chargeTiyn: 95_000 });
    expect(run({ person: teacher, guardian: null }, { staffMeals: 'free' })).toMatchObject({ outcome: 'free', freeCategory: 'staff' });
    expect(run({ person: teacher, guardian: null, nowWallMs: at('2026-09-01T15:10'), order: [{ itemId: 'juice', quantity: 1 }] }).reason).toBe('class_not_served');
    const served = [{ date: '2026-09-01', periodId: 'lunch', free: true, chargeTiyn: 0 }];
    expect(run({ person: teacher, guardian: null, servedToday: served }, { staffMeals: 'free' }).reason).toBe('already_served_free');
  });
});

afterAll(() => {
  // Every stable code is reachable and exercised here; a new code needs a test.
  expect([...seen].sort()).toEqual([...MEAL_REFUSALS].sort());
});
