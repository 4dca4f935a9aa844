// The wire format of docs/protocol.md, version 1, as zod schemas. Both the hub and the client
// validate with these, so the two sides cannot drift apart silently.
import { z } from 'zod';
import {
  CredentialKindSchema, DirectionSchema, DisplayConsentSchema, ModalitySchema, PersonRoleSchema, PersonStatusSchema, TokenKindSchema,
} from './vocabulary.js';

export const PROTOCOL_VERSION = '1';
export const PROTOCOL_HEADER = 'x-esik-protocol';
export const MAX_BATCH_EVENTS = 500;
export const MAX_BATCH_BYTES = 1024 * 1024;
export const MAX_ROSTER_PAGE = 2000;
/** How far one push may declare seqs skipped (docs/protocol.md, "Seq rule"). */
export const MAX_SKIP_PER_PUSH = 50_000;

/**
 * Every id on the wire (person, credential, template, schedule, device, boot): a safe alphabet, so
 * no NUL, no right-to-left override, no path or SQL punctuation ever reaches a store or a screen.
 */
export const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const wireId = z.string().regex(SAFE_ID, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -');

/** Wall times outside these bounds are refused: 9e15 would make every later read of the event throw. */
export const MAX_WALL_MS = Date.UTC(2100, 0, 1);
/** A trusted wall time before this is a clock that was never set. */
export const MIN_TRUSTED_WALL_MS = Date.UTC(2020, 0, 1);
/** A trusted wall time may run ahead of the hub's clock by at most this much. */
export const MAX_TRUSTED_LEAD_MS = 86_400_000;
/** Monotonic milliseconds since boot: twenty years of uptime is more than any device will see. */
export const MAX_MONO_MS = 20 * 366 * 86_400_000;
/** Nesting depth of any JSON value inside an event (its `data` and extra fields) and its size. */
export const MAX_EVENT_DEPTH = 8;
export const MAX_EVENT_BYTES = 64 * 1024;

const shortText = z.string().min(1).max(128);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const isoDateTimeOrNull = z.string().max(40).nullable();
const wallMs = z.number().int().min(0).max(MAX_WALL_MS);
const monoMs = z.number().min(0).max(MAX_MONO_MS);

/**
 * Nesting depth of a JSON value (a scalar is 0, `{}` is 1), counted without recursion so a value
 * nested a million levels deep cannot overflow the stack; stops counting once `limit` is passed.
 */
export function jsonDepth(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; depth: number };
    if (typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return deepest;
}

/** A JSON value (settings, command arguments, acknowledgements) nested at most MAX_EVENT_DEPTH deep. */
const boundedJson = z.unknown().refine((value) => jsonDepth(value, MAX_EVENT_DEPTH) <= MAX_EVENT_DEPTH, `nested deeper than ${MAX_EVENT_DEPTH} levels`);
const boundedRecord = z.record(z.string(), z.unknown()).refine((value) => jsonDepth(value, MAX_EVENT_DEPTH) <= MAX_EVENT_DEPTH, `nested deeper than ${MAX_EVENT_DEPTH} levels`);

/** One event as the device sends it. Unknown extra fields are kept (loose) and stored as-is. */
export const wireEventSchema = z
  .looseObject({
    id: z.uuid(),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    deviceId: wireId.optional(),
    type: z.string().regex(/^[a-z]+(\.[a-z_]+)*$/).max(64),
    at: z.iso.datetime({ offset: true }).refine((at) => Date.parse(at) >= 0 && Date.parse(at) <= MAX_WALL_MS, 'outside 1970..2100'),
    timeTrusted: z.boolean(),
    wallMs,
    monoMs,
    bootId: wireId,
    door: shortText.nullable(),
    direction: DirectionSchema.nullable(),
    personId: wireId.nullable(),
    credential: z
      .looseObject({ kind: CredentialKindSchema, ref: z.string().max(128).optional(), score: z.number().optional() })
      .nullable(),
    reason: z.string().max(128).nullable(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((event, ctx) => {
    // Depth first (iteratively): only a value known to be shallow may be stringified for its size.
    for (const [key, value] of Object.entries(event)) {
      if (jsonDepth(value, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH) {
        ctx.addIssue({ code: 'custom', path: [key], message: `nested deeper than ${MAX_EVENT_DEPTH} levels` });
        return;
      }
    }
    if (Buffer.byteLength(JSON.stringify(event)) > MAX_EVENT_BYTES) ctx.addIssue({ code: 'custom', path: [], message: `event larger than ${MAX_EVENT_BYTES} bytes` });
    if (event.timeTrusted && event.wallMs < MIN_TRUSTED_WALL_MS) ctx.addIssue({ code: 'custom', path: ['wallMs'], message: 'a trusted time before 2020' });
  });
export type WireEvent = z.infer<typeof wireEventSchema>;

/** A trusted pairing of this boot's monotonic clock with true time, for re-anchoring untrusted events. */
export const clockAnchorSchema = z.object({ bootId: wireId, monoMs, wallMs: wallMs.min(MIN_TRUSTED_WALL_MS) });
export type ClockAnchor = z.infer<typeof clockAnchorSchema>;

/**
 * Seqs the device will never send (quarantined on the device, pruned, or lost with a damaged
 * database), declared so the hub's next expected seq can move past them (the seq rule).
 */
export const seqSkipSchema = z
  .object({ from: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), to: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), reason: z.string().max(256) })
  .refine((skip) => skip.to >= skip.from && skip.to - skip.from < MAX_SKIP_PER_PUSH, `to must be in [from, from + ${MAX_SKIP_PER_PUSH})`);
export type SeqSkip = z.infer<typeof seqSkipSchema>;

/** The envelope is checked strictly; events inside are checked one by one by the hub (see rejected). */
export const pushRequestEnvelopeSchema = z
  .object({
    events: z.array(z.unknown()).max(MAX_BATCH_EVENTS),
    /** Checked alone with clockAnchorSchema: an unusable anchor is ignored, never the batch refused. */
    anchor: z.unknown().optional(),
    skip: seqSkipSchema.optional(),
  })
  .strict()
  .refine((envelope) => envelope.events.length > 0 || envelope.skip !== undefined, { path: ['events'], message: 'at least one event (or a skip)' });

const idWithError = z.object({ id: z.string(), error: z.string() });
export const pushResponseSchema = z.object({
  accepted: z.array(z.string()),
  duplicates: z.array(z.string()),
  rejected: z.array(idWithError),
  /** Not stored because they lie beyond a gap in seq: the device keeps them pending and sends them again. */
  deferred: z.array(idWithError).optional(),
  /** The seq the hub expects next from this device (after this push). */
  expectedSeq: z.number().int().min(1).optional(),
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

export const personSchema = z.object({
  id: wireId,
  name: z.string().min(1).max(256),
  shortName: z.string().max(128).nullable(),
  group: z.string().max(64).nullable(),
  role: PersonRoleSchema,
  status: PersonStatusSchema,
  validFrom: isoDateTimeOrNull,
  validTo: isoDateTimeOrNull,
  biometricConsent: z.boolean(),
  displayConsent: DisplayConsentSchema,
});

export const credentialSchema = z.object({
  id: wireId,
  personId: wireId,
  kind: TokenKindSchema,
  value: z.string().min(1).max(512),
  validFrom: isoDateTimeOrNull,
  validTo: isoDateTimeOrNull,
  singleUse: z.boolean(),
});

/** Templates travel as base64 of little-endian float32; 4096 floats is far above any model we use. */
export const wireTemplateSchema = z.object({
  id: wireId,
  personId: wireId,
  modality: ModalitySchema,
  algo: z.string().min(1).max(128),
  data: z.base64().max(22_000),
});

export const scheduleSchema = z.object({
  id: wireId,
  groups: z.array(z.string().max(64)).max(256),
  roles: z.array(PersonRoleSchema),
  weekly: z
    .array(z.object({ days: z.array(z.number().int().min(1).max(7)), from: z.string().regex(/^\d{2}:\d{2}$/), to: z.string().regex(/^\d{2}:\d{2}$/) }))
    .max(64),
  doors: z.array(z.string().max(64)).default([]),
});

export const holidaySchema = z.object({ date: isoDate, name: z.string().max(256) });
export const settingSchema = z.object({ key: wireId, value: boundedJson });

export const rosterTypes = ['person', 'credential', 'template', 'schedule', 'holiday', 'setting'] as const;
export type RosterEntityType = (typeof rosterTypes)[number];

export const wireRosterChangeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('delete'), type: z.enum(rosterTypes), id: wireId }),
  z.object({
    op: z.literal('upsert'),
    type: z.enum(rosterTypes),
    data: z.unknown(),
  }),
]);
export type WireRosterChange =
  | { op: 'delete'; type: RosterEntityType; id: string }
  | { op: 'upsert'; type: 'person'; data: z.infer<typeof personSchema> }
  | { op: 'upsert'; type: 'credential'; data: z.infer<typeof credentialSchema> }
  | { op: 'upsert'; type: 'template'; data: z.infer<typeof wireTemplateSchema> }
  | { op: 'upsert'; type: 'schedule'; data: z.infer<typeof scheduleSchema> }
  | { op: 'upsert'; type: 'holiday'; data: z.infer<typeof holidaySchema> }
  | { op: 'upsert'; type: 'setting'; data: z.infer<typeof settingSchema> };

const upsertDataSchemas = {
  person: personSchema,
  credential: credentialSchema,
  template: wireTemplateSchema,
  schedule: scheduleSchema,
  holiday: holidaySchema,
  setting: settingSchema,
} as const;

/** Validates one roster change in wire form; throws a ZodError naming the bad field. */
export function parseWireRosterChange(input: unknown): WireRosterChange {
  const head = wireRosterChangeSchema.parse(input);
  if (head.op === 'delete') return head;
  const data: unknown = upsertDataSchemas[head.type].parse(head.data);
  return { op: 'upsert', type: head.type, data } as WireRosterChange;
}

/** The id under which an entity is kept and deleted (holidays by date, settings by key). */
export function rosterEntityId(change: WireRosterChange): string {
  if (change.op === 'delete') return change.id;
  switch (change.type) {
    case 'holiday':
      return change.data.date;
    case 'setting':
      return change.data.key;
    default:
      return change.data.id;
  }
}

export const commandKinds = ['door.open', 'roster.resync', 'config.set'] as const;
export const commandSchema = z.object({
  id: z.uuid(),
  kind: z.enum(commandKinds),
  args: boundedRecord,
  createdAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
});
export type HubCommand = z.infer<typeof commandSchema>;

export const commandAckSchema = z.object({
  ok: z.boolean(),
  result: boundedJson.optional(),
  error: z.string().max(1000).optional(),
});
export type CommandAck = z.infer<typeof commandAckSchema>;

export const rosterPageSchema = z.object({
  changes: z.array(z.unknown()).max(MAX_ROSTER_PAGE),
  cursor: z.string().min(1).max(64),
  more: z.boolean(),
  commands: z.array(commandSchema).optional(),
});
export const commandListSchema = z.object({ commands: z.array(commandSchema) });
export const errorBodySchema = z.object({ error: z.string(), message: z.string().optional() });

export function decodeTemplateVector(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % 4 !== 0 || bytes.length === 0) throw new Error('template data is not a float32 vector');
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i += 1) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}

export function encodeTemplateVector(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i += 1) bytes.writeFloatLE(vector[i] ?? 0, i * 4);
  return bytes.toString('base64');
}
