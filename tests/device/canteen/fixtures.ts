// A school day in the canteen: breakfast for the primary classes, lunch for everyone (staff too),
// an afternoon snack; a menu priced in tiyn; a pupil with a guardian, money and no history.
import type { CanteenContext, MealPeriod, MealRequest, MenuItem } from '../../../device/canteen/index.js';

export const OFFSET = 300; // Asia/Almaty, UTC+5

/** Epoch ms of a school-local wall time, e.g. at('2026-09-01T12:10') (a Tuesday). */
export function at(local: string): number {
  return Date.parse(`${local}:00+05:00`);
}

export const periods: MealPeriod[] = [
  { id: 'breakfast', kind: 'breakfast', from: '08:00', to: '08:40', groups: ['1А', '2А', '3А', '4А'], staff: false },
  { id: 'lunch', kind: 'lunch', from: '12:00', to: '13:30', groups: ['*'], staff: true },
  { id: 'snack', kind: 'snack', from: '15:00', to: '15:30', groups: ['1А', '2А', '5Б'], staff: false },
];

export const menu: MenuItem[] = [
  { id: 'lunch-set', name: 'Lunch set', kind: 'set', priceTiyn: 95_000, allergens: ['gluten'], periods: ['lunch'], freeEligible: true },
  { id: 'breakfast-set', name: 'Porridge set', kind: 'set', priceTiyn: 60_000, allergens: ['milk'], periods: ['breakfast'], freeEligible: true },
  { id: 'bun', name: 'Bun', kind: 'item', priceTiyn: 25_000, allergens: ['gluten', 'egg'], periods: ['*'], freeEligible: false },
  { id: 'juice', name: 'Juice', kind: 'item', priceTiyn: 30_000, allergens: [], periods: ['*'], freeEligible: false },
  { id: 'nuts', name: 'Nut bar', kind: 'item', priceTiyn: 40_000, allergens: ['nuts'], periods: ['snack'], freeEligible: false },
];

export function context(overrides: Partial<CanteenContext> = {}): CanteenContext {
  return { periods, menu, staffMeals: 'paid', offlineAllowanceTiyn: 50_000, ...overrides };
}

export function request(overrides: Partial<MealRequest> = {}): MealRequest {
  return {
    person: { id: 'p-1', role: 'student', group: '5Б', status: 'active' },
    order: [{ itemId: 'lunch-set', quantity: 1 }],
    nowWallMs: at('2026-09-01T12:10'),
    utcOffsetMinutes: OFFSET,
    clockTrusted: true,
    freeMeals: [],
    guardian: { dailyLimitTiyn: 200_000, blockedAllergens: [] },
    servedToday: [],
    balance: { tiyn: 500_000, floorTiyn: 0, offline: false },
    ...overrides,
  };
}

export const freeLunches = [{ category: 'large_family', validFrom: '2026-09-01', validTo: '2027-05-25', periods: ['lunch' as const] }];
