// What the hot path needs from its collaborators, as narrow structural interfaces: the store,
// the door controllers and the readers are passed in by the composition root.
import type { EventEmitter } from 'node:events';
import type { EventDraft, Person, StoredEvent } from '../../sync/store/index.js';
import type { ReaderStatus } from '../hw/index.js';
import type { DoorEvents } from '../door/index.js';
import type { CredentialKind, DecisionFlag, DecisionOutcome, DenyReason, Direction, KioskMode } from '../vocabulary.js';

export type { FailMode } from '../vocabulary.js';

export interface KioskEventLog {
  append(draft: EventDraft, options?: { consumeCredentialId?: string }): Promise<StoredEvent>;
  lastSeq(): number;
}

/** The DoorController as the hot path drives it; its 'event's become recorded events. */
export interface KioskDoor extends EventEmitter<DoorEvents> {
  readonly name: string;
  /** The door's own mode: a door in lockdown refuses entry grants whatever the policy said. */
  readonly mode?: KioskMode;
  /** Resolves when the relay command has been written. */
  grant(direction: Direction): Promise<void>;
  deny(direction: Direction): Promise<void> | void;
  setMode(mode: KioskMode): Promise<void> | void;
}

export interface KioskDecision {
  outcome: DecisionOutcome;
  reason: DenyReason | null;
  flags: Array<DecisionFlag | 'store_unavailable'>;
  door: string;
  direction: Direction;
  kind: CredentialKind;
  readerId: string;
  person: Person | null;
  /** The committed event; null only when the store failed and the event waits in memory. */
  event: StoredEvent | null;
  /** Monotonic ms: presentation as the reader stamped it, and when the door command was written. */
  presentedMonoMs: number;
  actuatedMonoMs: number;
}

export interface KioskAlarm {
  kind: 'store_unavailable';
  active: boolean;
  detail: string;
}

/** What the kiosk emits; listeners take their types from here. */
export interface KioskEvents {
  /** After the door was commanded for a presentation. */
  decision: [decision: KioskDecision];
  /** Every committed event (held ones too, once they reach the disk), and only committed ones. */
  event: [event: StoredEvent];
  alarm: [alarm: KioskAlarm];
  mode: [mode: KioskMode];
  reader: [reader: { id: string; status: ReaderStatus }];
}
