// The demo (and a fresh bench-top kiosk) starts with a roster from a JSON file, applied once to an
// empty database through the same path as upstream pages. Production kiosks pull from upstream.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RosterChange, RosterStore } from '../../sync/store/index.js';
import { DisplayConsentSchema, PersonRoleSchema, PersonStatusSchema, TokenKindSchema } from '../vocabulary.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'expected an ISO date');
const person = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  shortName: z.string().nullable().default(null),
  group: z.string().nullable().default(null),
  role: PersonRoleSchema,
  status: PersonStatusSchema.default('active'),
  validFrom: isoDate.nullable().default(null),
  validTo: isoDate.nullable().default(null),
  biometricConsent: z.boolean().default(false),
  displayConsent: DisplayConsentSchema.default('short'),
});
const credential = z.object({
  id: z.string().min(1),
  personId: z.string().min(1),
  kind: TokenKindSchema,
  value: z.string().min(1),
  validFrom: isoDate.nullable().default(null),
  validTo: isoDate.nullable().default(null),
  singleUse: z.boolean().default(false),
});
const schedule = z.object({
  id: z.string().min(1),
  groups: z.array(z.string()),
  roles: z.array(PersonRoleSchema),
  weekly: z.array(z.object({ days: z.array(z.number().int().min(1).max(7)), from: z.string(), to: z.string() })),
  doors: z.array(z.string()).default([]),
});
const holiday = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), name: z.string() });

export const SeedRosterSchema = z.object({
  people: z.array(person).default([]),
  credentials: z.array(credential).default([]),
  schedules: z.array(schedule).default([]),
  holidays: z.array(holiday).default([]),
});

export function seedChanges(input: unknown): RosterChange[] {
  const seed = SeedRosterSchema.parse(input);
  return [
    ...seed.people.map((data): RosterChange => ({ op: 'upsert', type: 'person', data })),
    ...seed.credentials.map((data): RosterChange => ({ op: 'upsert', type: 'credential', data })),
    ...seed.schedules.map((data): RosterChange => ({ op: 'upsert', type: 'schedule', data })),
    ...seed.holidays.map((data): RosterChange => ({ op: 'upsert', type: 'holiday', data })),
  ];
}

/** Applies the seed file when the roster is empty and was never pulled; returns how many changes. */
export async function seedRosterIfEmpty(roster: Pick<RosterStore, 'load' | 'cursor' | 'applyLocal'>, file: string, logger: Logger): Promise<number> {
  const current = await roster.load();
  if (current.people.size > 0 || (await roster.cursor()) !== null) return 0;
  const changes = seedChanges(JSON.parse(await readFile(file, 'utf8')));
  const result = await roster.applyLocal(changes);
  logger.child({ ns: 'roster' }).info({ file, applied: result.applied }, 'seeded an empty roster');
  return result.applied;
}
