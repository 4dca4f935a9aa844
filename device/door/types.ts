// What the door controller emits and what a snapshot of a door says. Directions, modes and event
// types are the kiosk's words (device/vocabulary.ts); a door follows the kiosk's mode.
import type { Direction, DoorEventType, KioskMode } from '../vocabulary.js';

export type { Direction, DoorEventType } from '../vocabulary.js';

export interface DoorEvent {
  type: DoorEventType;
  door: string;
  /** Which passage it concerns; null when the event is about the door as a whole. */
  direction: Direction | null;
  /** Why, as a stable code: 'granted', 'exit_request', 'no_grant', 'emergency', 'fire_alarm', ... */
  reason: string;
  /** Date.now() when it happened (fake timers control it in tests). */
  at: number;
}

/** A door's emitter: every report becomes an event the kiosk records; every state change a snapshot. */
export interface DoorEvents {
  event: [event: DoorEvent];
  state: [snapshot: DoorSnapshot];
}

export type DoorAlarm = 'fire' | 'forced' | 'held_open' | 'relay_fault';

export interface DoorSnapshot {
  name: string;
  kind: 'door' | 'turnstile';
  /** True when every lock relay of the door is in the locked state. */
  locked: boolean;
  /** Per direction: a turnstile's entry and exit arms can be released separately. */
  unlocked: { in: boolean; out: boolean };
  /** Door-position sensor (true = open), or null when no sensor is fitted. */
  open: boolean | null;
  mode: KioskMode;
  alarms: DoorAlarm[];
}
