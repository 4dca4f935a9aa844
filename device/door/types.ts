// Vocabulary of the door controller: what it emits and what a snapshot of a door says.
import type { DoorMode } from './config.js';

export type Direction = 'in' | 'out';

export type DoorEventType =
  | 'door.opened'
  | 'door.forced'
  | 'door.held_open'
  | 'door.closed'
  | 'door.exit_request'
  | 'alarm.fire'
  | 'alarm.cleared';

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
  mode: DoorMode;
  alarms: DoorAlarm[];
}
