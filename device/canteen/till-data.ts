// The till's two data files, validated like the config: a till that cannot read its menu or its
// diners' data refuses to start rather than serving on guesses. The canteen file holds the periods,
// the menu with prices and the staff-meal rule; the diners file is the hub's last snapshot of each
// diner's free-meal register entries, guardian settings, balance and today's meals (asOfMs).
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { canteenFileSchema, dinersFileSchema, type DinersFile } from '../../protocol/index.js';
import type { CanteenContext } from './types.js';
import type { DinerDirectory, DinerRecord } from './till-types.js';

// The schemas are the wire protocol's (protocol/canteen-snapshot.ts): the hub's snapshot is these files.
export { canteenFileSchema, dinersFileSchema };

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
    private readonly lastCharge: string | null | undefined = undefined,
  ) {}

  static async load(file: string): Promise<SnapshotDinerDirectory> {
    return SnapshotDinerDirectory.of(await readJson(file, dinersFileSchema));
  }

  /** From validated data (a file read, or the hub's answer). */
  static of(data: DinersFile): SnapshotDinerDirectory {
    return new SnapshotDinerDirectory(new Map(Object.entries(data.diners)), data.asOfMs, data.lastChargeEventId);
  }

  diner(personId: string): DinerRecord | null {
    return this.diners.get(personId) ?? null;
  }

  asOfMs(): number {
    return this.madeAtMs;
  }

  lastChargeEventId(): string | null | undefined {
    return this.lastCharge;
  }
}
