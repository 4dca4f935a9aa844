// What a till works from, made by the hub (GET /v1/devices/:deviceId/canteen/snapshot): the canteen
// file from the settings, and the diners file: the free-meal register, guardians' settings, each
// person's balance and floor derived from the ledger (never stored), and today's meals from the
// fold. The balances and `lastChargeEventId` (the asking till's last meal charge they include) are
// one ledger read, so the till subtracts exactly its charges after that one: none twice, none missed.
// Today's meals name their events, so a till does not count its own meal twice either.
import { canteenSnapshotSchema, dinerRecordSchema, type CanteenSnapshot } from '../../protocol/index.js';
import { HubError } from '../errors.js';
import type { CanteenLedger } from './ledger-types.js';
import type { MealStore } from './meal-store.js';
import type { CanteenSettingsStore, FreeMealEntry, GuardianCanteenSettings } from './settings-store.js';

export interface SnapshotSources {
  ledger: CanteenLedger;
  meals: MealStore;
  settings: CanteenSettingsStore;
}

type DinerEntry = CanteenSnapshot['diners']['diners'][string];

/** The school-local date of `ms` ("2026-09-01"), as the tills date their meals. */
export function schoolDay(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

function dinerOf(diners: Map<string, DinerEntry>, personId: string): DinerEntry {
  let diner = diners.get(personId);
  if (diner === undefined) {
    diner = { freeMeals: [], guardian: null, balanceTiyn: 0, floorTiyn: 0, served: [] };
    diners.set(personId, diner);
  }
  return diner;
}

function withGuardians(diners: Map<string, DinerEntry>, guardians: ReadonlyMap<string, GuardianCanteenSettings>): void {
  for (const [personId, settings] of guardians) dinerOf(diners, personId).guardian = settings;
}

function withRegister(diners: Map<string, DinerEntry>, entries: ReadonlyArray<FreeMealEntry & { personId: string }>): void {
  for (const { personId, ...entry } of entries) dinerOf(diners, personId).freeMeals.push(entry);
}

/** The snapshot for one till; 409 while the canteen's menu has not been set. */
export async function buildTillSnapshot(sources: SnapshotSources, deviceId: string, nowMs: number, utcOffsetMinutes: number): Promise<CanteenSnapshot> {
  const canteen = await sources.settings.menu();
  if (canteen === null) throw new HubError(409, 'canteen_not_configured', 'the canteen menu is not set: PUT /v1/admin/canteen/menu first');
  // asOfMs is taken before anything is read: the data are at least this fresh.
  const asOfMs = nowMs;
  const { balances, lastChargeEventId } = await sources.ledger.personBalances(deviceId);
  const diners = new Map<string, DinerEntry>();
  for (const [personId, balance] of balances) Object.assign(dinerOf(diners, personId), balance);
  withRegister(diners, (await sources.settings.register()).entries);
  withGuardians(diners, await sources.settings.guardians());
  const day = schoolDay(nowMs, utcOffsetMinutes);
  for (const meal of await sources.meals.mealsOn(day)) {
    dinerOf(diners, meal.personId).served.push({ date: day, periodId: meal.periodId, free: meal.free, chargeTiyn: meal.chargeTiyn, eventId: meal.eventId });
  }
  // A diner a till would refuse (an id longer than a wire id, a stored value out of range) is left
  // out rather than failing every till's snapshot: one bad row must not stop the canteen.
  const kept = [...diners].filter(([personId, diner]) => personId.length <= 64 && dinerRecordSchema.safeParse(diner).success);
  // Checked by the schema a till reads with: what the hub sends, a till accepts.
  return canteenSnapshotSchema.parse({ canteen, diners: { asOfMs, lastChargeEventId, diners: Object.fromEntries(kept) } });
}
