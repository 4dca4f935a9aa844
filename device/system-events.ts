// Events the kiosk records about itself rather than about a passage: start and stop, alarms,
// technician audits, mode and reader changes, roster actions, door supervision. One builder fills
// what such an event never has (no credential; no door, direction or person unless it concerns
// one), so every draft has the same shape and a caller names only what it knows.
import type { EventDraft, EventType } from '../sync/store/index.js';
import type { DoorEvent } from './door/index.js';
import type { ReaderStatus } from './hw/index.js';
import type { Direction, KioskMode } from './vocabulary.js';

/** Every event type but a passage's (access.granted / access.denied come from the decision). */
export type SystemEventType = Exclude<EventType, 'access.granted' | 'access.denied'>;

export interface SystemEventFields {
  /** A stable code: the alarm kind, the audit action, the mode, the reader status; null when none applies. */
  reason: string | null;
  door?: string | null;
  direction?: Direction | null;
  personId?: string | null;
  data?: Record<string, unknown>;
}

export function systemEvent(type: SystemEventType, fields: SystemEventFields): EventDraft {
  return {
    type,
    door: fields.door ?? null,
    direction: fields.direction ?? null,
    personId: fields.personId ?? null,
    credential: null,
    reason: fields.reason,
    data: fields.data,
  };
}

export function deviceStarted(info: { version: string; configFile: string; envOverrides: unknown }): EventDraft {
  return systemEvent('device.started', { reason: null, data: { version: info.version, configFile: info.configFile, envOverrides: info.envOverrides } });
}

export function deviceStopped(reason: string): EventDraft {
  return systemEvent('device.stopped', { reason, data: {} });
}

export function alarmRaised(reason: string, data: Record<string, unknown>): EventDraft {
  return systemEvent('alarm.raised', { reason, data });
}

export function alarmCleared(reason: string, data: Record<string, unknown>): EventDraft {
  return systemEvent('alarm.cleared', { reason, data });
}

/**
 * A technician's (or the hub's) action: `action` is the reason; `data` carries who (actor, the
 * verified peer) and what, and by convention repeats `action` for upstream readers.
 */
export function auditEvent(action: string, data: Record<string, unknown>, about: { door?: string | null; personId?: string | null } = {}): EventDraft {
  return systemEvent('audit', { reason: action, door: about.door, personId: about.personId, data });
}

export function modeChanged(mode: KioskMode, from: KioskMode, actor: string | null): EventDraft {
  return systemEvent('mode.changed', { reason: mode, data: { from, actor } });
}

export function readerStatusChanged(reader: { id: string; door: string; direction: Direction }, status: ReaderStatus): EventDraft {
  return systemEvent('reader.status', { reason: status, door: reader.door, direction: reader.direction, data: { reader: reader.id } });
}

/** A technician blocked or erased a person on this kiosk. */
export function personActioned(type: 'person.blocked' | 'person.erased', personId: string): EventDraft {
  return systemEvent(type, { reason: 'technician', personId, data: {} });
}

/** `source`: where the enrolment came from (cli, simulator). */
export function templateEnrolled(personId: string, source: string, data: Record<string, unknown>): EventDraft {
  return systemEvent('template.enrolled', { reason: source, personId, data });
}

/** A door controller's report (opened, forced, held open, closed, exit request, fire). */
export function doorEventDraft(event: DoorEvent): EventDraft {
  return systemEvent(event.type, { reason: event.reason, door: event.door, direction: event.direction });
}
