// What a canteen till works from, as files on the till and as the hub's answer to
// GET /v1/devices/:deviceId/canteen/snapshot (issue 19): the canteen file (periods, the menu with
// prices in tiyn, the staff-meal rule) and the diners file (per diner the free-meal register
// entries, the guardian's settings, the balance and floor from the ledger, today's meals). One set
// of schemas for both, so whatever the hub sends is exactly what a till accepts from a file.
//
// Balance lag: a till spends from the last balance it has minus its own charges the hub has not
// yet posted. `lastChargeEventId` says how far the balances include the asking till's own charges
// (the event id of its last meal charge the ledger holds, in the fold's order); a hand-written file
// has none, and the till then counts its meals since `asOfMs` as not included.
import { z } from 'zod';

export const MEAL_PERIOD_KINDS = ['breakfast', 'lunch', 'snack'] as const;

const tiyn = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const signedTiyn = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const periodKinds = z.array(z.enum([...MEAL_PERIOD_KINDS, '*'])).min(1);
const clock = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time like 07:30');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-09-01');

export const canteenPeriodSchema = z.object({
  id: z.string().min(1).max(64), kind: z.enum(MEAL_PERIOD_KINDS), from: clock, to: clock,
  days: z.array(z.number().int().min(1).max(7)).optional(), groups: z.array(z.string().min(1)), staff: z.boolean().default(false),
}).strict();

export const menuItemSchema = z.object({
  id: z.string().min(1).max(64), name: z.string().min(1).max(80), kind: z.enum(['set', 'item']), priceTiyn: tiyn,
  allergens: z.array(z.string().min(1)).default([]), periods: periodKinds, freeEligible: z.boolean().default(false),
}).strict();

export const canteenFileSchema = z.object({
  periods: z.array(canteenPeriodSchema),
  menu: z.array(menuItemSchema),
  staffMeals: z.enum(['free', 'paid']).default('paid'),
}).strict();
export type CanteenFile = z.infer<typeof canteenFileSchema>;

export const freeMealEntrySchema = z.object({ category: z.string().min(1).max(64), validFrom: z.string().nullable(), validTo: z.string().nullable(), periods: periodKinds }).strict();

export const guardianSettingsSchema = z.object({ dailyLimitTiyn: tiyn.nullable(), blockedAllergens: z.array(z.string().min(1).max(64)).max(64).default([]) }).strict();

export const servedMealSchema = z.object({
  date: day, periodId: z.string().min(1), free: z.boolean(), chargeTiyn: tiyn,
  /** The till's event (from the hub): a till does not count its own meal twice. */
  eventId: z.string().min(1).max(64).optional(),
}).strict();

export const dinerRecordSchema = z.object({
  freeMeals: z.array(freeMealEntrySchema).default([]),
  guardian: guardianSettingsSchema.nullable().default(null),
  balanceTiyn: signedTiyn,
  floorTiyn: signedTiyn.default(0),
  served: z.array(servedMealSchema).default([]),
}).strict();

export const dinersFileSchema = z.object({
  asOfMs: z.number().int().min(0),
  /** The asking till's last meal charge the balances include (null: none); absent in a hand-written file. */
  lastChargeEventId: z.string().min(1).max(64).nullable().optional(),
  diners: z.record(z.string().min(1).max(64), dinerRecordSchema),
}).strict();
export type DinersFile = z.infer<typeof dinersFileSchema>;

export const canteenSnapshotSchema = z.object({ canteen: canteenFileSchema, diners: dinersFileSchema }).strict();
export type CanteenSnapshot = z.infer<typeof canteenSnapshotSchema>;
