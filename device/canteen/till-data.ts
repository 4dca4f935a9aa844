// The till's two data files, validated like the config: a till that cannot read its menu or its
// diners' data refuses to start rather than serving on guesses. The canteen file holds the periods,
// the menu with prices and the staff-meal rule; the diners file is the hub's last snapshot of each
// diner's free-meal register entries, guardian settings, balance and today's meals (asOfMs).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MEAL_PERIOD_KINDS, type CanteenContext } from './types.js';
import type { DinerDirectory, DinerRecord } from './till-types.js';

const tiyn = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const signedTiyn = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const periodKinds = z.array(z.enum([...MEAL_PERIOD_KINDS, '*'])).min(1);
const clock = z.string().regex(/^\d{2}:\d{2}$/);

export const canteenFileSchema = z.object({
  periods: z.array(z.object({
    id: z.string().min(1).max(64), kind: z.enum(MEAL_PERIOD_KINDS), from: clock, to: clock,
    days: z.array(z.number().int().min(1).max(7)).optional(), groups: z.array(z.string().min(1)), staff: z.boolean().default(false),
  }).strict()),
  menu: z.array(z.object({
    id: z.string().min(1).max(64), name: z.string().min(1).max(80), kind: z.enum(['set', 'item']), priceTiyn: tiyn,
    allergens: z.array(z.string().min(1)).default([]), periods: periodKinds, freeEligible: z.boolean().default(false),
  }).strict()),
  staffMeals: z.enum(['free', 'paid']).default('paid'),
}).strict();

const dinerSchema = z.object({
  freeMeals: z.array(z.object({ category: z.string().min(1).max(64), validFrom: z.string().nullable(), validTo: z.string().nullable(), periods: periodKinds }).strict()).default([]),
  guardian: z.object({ dailyLimitTiyn: tiyn.nullable(), blockedAllergens: z.array(z.string().min(1)).default([]) }).strict().nullable().default(null),
  balanceTiyn: signedTiyn,
  floorTiyn: signedTiyn.default(0),
  served: z.array(z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), periodId: z.string().min(1), free: z.boolean(), chargeTiyn: tiyn }).strict()).default([]),
}).strict();

export const dinersFileSchema = z.object({
  asOfMs: z.number().int().min(0),
  diners: z.record(z.string().min(1).max(64), dinerSchema),
}).strict();

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid canteen data ${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export async function loadCanteenContext(file: string, offlineAllowanceTiyn: number): Promise<CanteenContext> {
  const data = await readJson(file, canteenFileSchema);
  return { ...data, offlineAllowanceTiyn };
}

/** The diners' data as one snapshot in memory (a few kB per thousand diners). */
export class SnapshotDinerDirectory implements DinerDirectory {
  constructor(
    private readonly diners: ReadonlyMap<string, DinerRecord>,
    private readonly madeAtMs: number,
  ) {}

  static async load(file: string): Promise<SnapshotDinerDirectory> {
    const data = await readJson(file, dinersFileSchema);
    return new SnapshotDinerDirectory(new Map(Object.entries(data.diners)), data.asOfMs);
  }

  diner(personId: string): DinerRecord | null {
    return this.diners.get(personId) ?? null;
  }

  asOfMs(): number {
    return this.madeAtMs;
  }
}
