// Events between their TypeScript shape and their row. Shared by the event log and the outbox.
import type { CredentialKind, Direction, EventType, StoredEvent } from './types.js';
import { type Row, type SqlValue, num, text, textOrNull } from './db.js';

/** Column order of INSERT INTO events; eventParams produces values in this order. */
export const EVENT_COLUMNS = [
  'seq', 'id', 'device_id', 'boot_id', 'mono_ms', 'wall_ms', 'at', 'time_trusted',
  'type', 'door', 'direction', 'person_id', 'credential', 'reason', 'data',
] as const;

export const EVENT_SELECT =
  'SELECT seq, id, device_id, boot_id, mono_ms, wall_ms, at, time_trusted, type, door, direction, person_id, credential, reason, data FROM events';

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** ISO-8601 of wallMs in the school's offset, e.g. 2026-09-01T07:58:12.345+05:00. */
export function isoWithOffset(wallMs: number, offsetMinutes: number): string {
  const local = new Date(wallMs + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(Math.trunc(offsetMinutes));
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function eventParams(event: StoredEvent, credentialJson: string | null, dataJson: string | null): SqlValue[] {
  return [
    event.seq, event.id, event.deviceId, event.bootId, event.monoMs, event.wallMs, event.at,
    event.timeTrusted ? 1 : 0, event.type, event.door, event.direction, event.personId,
    credentialJson, event.reason, dataJson,
  ];
}

function parseJsonObject(raw: string | null, column: string): Record<string, unknown> | null {
  if (raw === null) return null;
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`events.${column}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

function parseCredential(raw: string | null): StoredEvent['credential'] {
  const value = parseJsonObject(raw, 'credential');
  if (value === null) return null;
  const credential: NonNullable<StoredEvent['credential']> = { kind: value.kind as CredentialKind };
  if (typeof value.ref === 'string') credential.ref = value.ref;
  if (typeof value.score === 'number') credential.score = value.score;
  return credential;
}

export function rowToEvent(row: Row): StoredEvent {
  const event: StoredEvent = {
    id: text(row, 'id'),
    seq: num(row, 'seq'),
    deviceId: text(row, 'device_id'),
    bootId: text(row, 'boot_id'),
    monoMs: num(row, 'mono_ms'),
    wallMs: num(row, 'wall_ms'),
    at: text(row, 'at'),
    timeTrusted: num(row, 'time_trusted') === 1,
    type: text(row, 'type') as EventType,
    door: textOrNull(row, 'door'),
    direction: textOrNull(row, 'direction') as Direction | null,
    personId: textOrNull(row, 'person_id'),
    credential: parseCredential(textOrNull(row, 'credential')),
    reason: textOrNull(row, 'reason'),
  };
  const data = parseJsonObject(textOrNull(row, 'data'), 'data');
  if (data !== null) event.data = data;
  return event;
}
