// The wire format of docs/protocol.md, version 1, as zod schemas. Both the hub and the client
// validate with these, so the two sides cannot drift apart silently.
import { z } from 'zod';
import type { RosterChange, StoredEvent } from '../store/types.js';

export const PROTOCOL_VERSION = '1';
export const PROTOCOL_HEADER = 'x-esik-protocol';
export const MAX_BATCH_EVENTS = 500;
export const MAX_BATCH_BYTES = 1024 * 1024;
export const MAX_ROSTER_PAGE = 2000;

const shortText = z.string().min(1).max(128);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const isoDateTimeOrNull = z.string().max(40).nullable();

/** One event as the device sends it. Unknown extra fields are kept (loose) and stored as-is. */
export const wireEventSchema = z.looseObject({
  id: z.uuid(),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  type: z.string().regex(/^[a-z]+(\.[a-z_]+)*$/).max(64),
  at: z.iso.datetime({ offset: true }),
  timeTrusted: z.boolean(),
  wallMs: z.number().int(),
  monoMs: z.number().min(0),
  bootId: shortText,
  door: shortText.nullable(),
  direction: z.enum(['in', 'out']).nullable(),
  personId: shortText.nullable(),
  credential: z
    .looseObject({ kind: z.enum(['card', 'qr', 'face', 'palm']), ref: z.string().max(128).optional(), score: z.number().optional() })
    .nullable(),
  reason: z.string().max(128).nullable(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type WireEvent = z.infer<typeof wireEventSchema>;

/** A trusted pairing of this boot's monotonic clock with true time, for re-anchoring untrusted events. */
export const clockAnchorSchema = z.object({ bootId: shortText, monoMs: z.number().min(0), wallMs: z.number().int() });
export type ClockAnchor = z.infer<typeof clockAnchorSchema>;

/** The envelope is checked strictly; events inside are checked one by one by the hub (see rejected). */
export const pushRequestEnvelopeSchema = z.object({
  events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS),
  anchor: clockAnchorSchema.optional(),
});

export const pushResponseSchema = z.object({
  accepted: z.array(z.string()),
  duplicates: z.array(z.string()),
  rejected: z.array(z.object({ id: z.string(), error: z.string() })),
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

export const personSchema = z.object({
  id: shortText,
  name: z.string().min(1).max(256),
  shortName: z.string().max(128).nullable(),
  group: z.string().max(64).nullable(),
  role: z.enum(['student', 'staff', 'visitor', 'guardian']),
  status: z.enum(['active', 'blocked', 'inactive']),
  validFrom: isoDateTimeOrNull,
  validTo: isoDateTimeOrNull,
  biometricConsent: z.boolean(),
  displayConsent: z.enum(['none', 'initials', 'short', 'full']),
});

export const credentialSchema = z.object({
  id: shortText,
  personId: shortText,
  kind: z.enum(['card', 'qr']),
  value: z.string().min(1).max(512),
  validFrom: isoDateTimeOrNull,
  validTo: isoDateTimeOrNull,
  singleUse: z.boolean(),
});

/** Templates travel as base64 of little-endian float32; 4096 floats is far above any model we use. */
export const wireTemplateSchema = z.object({
  id: shortText,
  personId: shortText,
  modality: z.enum(['face', 'palm']),
  algo: z.string().min(1).max(128),
  data: z.base64().max(22_000),
});

export const scheduleSchema = z.object({
  id: shortText,
  groups: z.array(z.string().max(64)).max(256),
  roles: z.array(z.enum(['student', 'staff', 'visitor', 'guardian'])),
  weekly: z
    .array(z.object({ days: z.array(z.number().int().min(1).max(7)), from: z.string().regex(/^\d{2}:\d{2}$/), to: z.string().regex(/^\d{2}:\d{2}$/) }))
    .max(64),
  doors: z.array(z.string().max(64)).default([]),
});

export const holidaySchema = z.object({ date: isoDate, name: z.string().max(256) });
export const settingSchema = z.object({ key: z.string().min(1).max(128), value: z.unknown() });

export const rosterTypes = ['person', 'credential', 'template', 'schedule', 'holiday', 'setting'] as const;
export type RosterEntityType = (typeof rosterTypes)[number];

export const wireRosterChangeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('delete'), type: z.enum(rosterTypes), id: shortText }),
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
  args: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
});
export type HubCommand = z.infer<typeof commandSchema>;

export const commandAckSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
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

/** The event as it goes on the wire: the stored event, field for field. */
export function toWireEvent(event: StoredEvent): WireEvent {
  return { ...event, data: event.data ?? undefined };
}

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

/** Wire change → the store's RosterChange (templates decoded to Float32Array). */
export function toRosterChange(change: WireRosterChange): RosterChange {
  if (change.op === 'delete') return change;
  if (change.type === 'template') {
    const { data, ...rest } = change.data;
    return { op: 'upsert', type: 'template', data: { ...rest, vector: decodeTemplateVector(data) } };
  }
  return change;
}
