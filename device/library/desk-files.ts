// The desk's two data files, validated like the config: a desk that cannot read its catalogue or
// its rules refuses to start rather than lending on guesses. The catalogue file is the hub's
// snapshot of the school's copies (GET /v1/admin/library/catalogue, or a file a technician put in
// place); the rules file holds the school's loan rules and the library's calendar.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { DeskCatalogue } from './desk.js';
import type { LibraryContext, LibraryCopy } from './types.js';

const copySchema = z.object({
  id: z.string().min(1).max(64),
  titleId: z.string().min(1).max(128),
  readingRoomOnly: z.boolean().default(false),
  status: z.enum(['available', 'withdrawn', 'lost']).default('available'),
}).strict();

export const deskCatalogueFileSchema = z.object({
  asOfMs: z.number().int().min(0),
  copies: z.array(copySchema).max(1_000_000),
}).strict();

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-09-01');

export const deskRulesFileSchema = z.object({
  rules: z.array(z.object({
    id: z.string().min(1).max(64),
    roles: z.array(z.enum(['student', 'staff', 'visitor', 'guardian'])).min(1),
    groups: z.array(z.string().min(1).max(32)).min(1),
    maxLoans: z.number().int().min(0).max(100),
    loanDays: z.number().int().min(1).max(366),
    maxRenewals: z.number().int().min(0).max(100),
  }).strict()).min(1),
  blockLoansWhileOverdue: z.boolean().default(true),
  renewOverdue: z.boolean().default(false),
  openWeekdays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
  closedDates: z.array(date).default([]),
  acceptReturnsWithoutLoan: z.boolean().default(true),
}).strict();

async function readJson<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the library ${what} ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid library ${what} ${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The copies by barcode, in memory (about 100 bytes a copy). */
export class SnapshotDeskCatalogue implements DeskCatalogue {
  constructor(
    private readonly copies: ReadonlyMap<string, LibraryCopy>,
    readonly asOfMs: number,
  ) {}

  static async load(file: string): Promise<SnapshotDeskCatalogue> {
    const data = await readJson(file, deskCatalogueFileSchema, 'catalogue');
    return new SnapshotDeskCatalogue(new Map(data.copies.map((copy) => [copy.id, copy])), data.asOfMs);
  }

  copy(barcode: string): LibraryCopy | null {
    return this.copies.get(barcode) ?? null;
  }

  get size(): number {
    return this.copies.size;
  }
}

export async function loadLibraryContext(file: string): Promise<LibraryContext> {
  const data = await readJson(file, deskRulesFileSchema, 'rules');
  return { ...data, closedDates: new Set(data.closedDates) };
}
