// A till's data for the station tests: a lunch open all day on every day (the tests run at any
// hour on the real clock, as the kiosk's store stamps its events with it), the fixtures' menu, and
// three diners: a child with a free lunch, a paying child with a guardian's limits and a nut
// block, and a staff member.
import type { CanteenContext, DinerRecord, TillDiner, TillPresentation } from '../../../device/canteen/index.js';
import { menu } from './fixtures.js';

export const ALL_DAY: CanteenContext = {
  periods: [{ id: 'lunch', kind: 'lunch', from: '00:00', to: '23:59', days: [1, 2, 3, 4, 5, 6, 7], groups: ['*'], staff: true }],
  menu,
  staffMeals: 'free',
  offlineAllowanceTiyn: 50_000,
};

export const FREE_CHILD: TillDiner = { id: 'p-free', displayName: 'Aigerim S.', group: '5Б', role: 'student', status: 'active' };
export const PAYING_CHILD: TillDiner = { id: 'p-pay', displayName: 'Dias K.', group: '6А', role: 'student', status: 'active' };

export function diners(asOfMs: number): { asOfMs: number; diners: Record<string, DinerRecord> } {
  return {
    asOfMs,
    diners: {
      'p-free': { freeMeals: [{ category: 'large_family', validFrom: null, validTo: null, periods: ['lunch'] }], guardian: null, balanceTiyn: 0, floorTiyn: 0, served: [] },
      'p-pay': { freeMeals: [], guardian: { dailyLimitTiyn: 150_000, blockedAllergens: ['nuts'] }, balanceTiyn: 120_000, floorTiyn: 0, served: [] },
    },
  };
}

export function directoryOf(data: { asOfMs: number; diners: Record<string, DinerRecord> }) {
  return { diner: (id: string) => data.diners[id] ?? null, asOfMs: () => data.asOfMs };
}

export const card = (diner: TillDiner): TillPresentation => ({ diner, credential: { kind: 'card', ref: `card-${diner.id}` } });
