// Door-position supervision: classifies each opening (granted passage or forced), raises
// door.held_open once when the door stays open past heldOpenMs, and door.closed when it shuts.
// Kept apart from the relay logic so the timing rules read on their own.
import type { DigitalInput } from '../hw/index.js';
import type { DoorAlarm, DoorEventType, Direction } from './types.js';

export interface DoorSupervisorOptions {
  sensor?: DigitalInput | undefined;
  heldOpenMs: number;
  /** Decides, at the moment the door opens, whether that opening was authorised. */
  classifyOpening: () => { type: DoorEventType; direction: Direction | null; reason: string };
  report: (type: DoorEventType, direction: Direction | null, reason: string) => void;
  setAlarm: (alarm: DoorAlarm, on: boolean) => void;
  changed: () => void;
}

export class DoorSupervisor {
  readonly #options: DoorSupervisorOptions;
  #open: boolean | null;
  #heldTimer: ReturnType<typeof setTimeout> | null = null;
  #heldOpen = false;
  #forced = false;
  #suppressed = false;
  readonly #onChange = (open: boolean): void => this.#change(open);

  constructor(options: DoorSupervisorOptions) {
    this.#options = options;
    const sensor = options.sensor;
    this.#open = sensor ? sensor.read() : null;
    sensor?.on('change', this.#onChange);
    // Open at start-up (a restart with the door propped): supervise it, but do not call it forced.
    if (this.#open) this.#armHeldOpen();
  }

  /** null when no sensor is fitted. */
  isOpen(): boolean | null {
    return this.#open;
  }

  /** Emergency, fire alarm or maintenance: openings are expected, no held-open alarm. */
  setSuppressed(suppressed: boolean): void {
    this.#suppressed = suppressed;
    if (suppressed) this.#disarmHeldOpen();
    else if (this.#open && !this.#heldOpen) this.#armHeldOpen();
  }

  close(): void {
    this.#options.sensor?.off('change', this.#onChange);
    this.#disarmHeldOpen();
  }

  #change(open: boolean): void {
    if (open === this.#open) return;
    this.#open = open;
    if (open) this.#opened();
    else this.#closed();
    this.#options.changed();
  }

  #opened(): void {
    const { type, direction, reason } = this.#options.classifyOpening();
    this.#forced = type === 'door.forced';
    if (this.#forced) this.#options.setAlarm('forced', true);
    this.#options.report(type, direction, reason);
    this.#armHeldOpen();
  }

  #closed(): void {
    this.#disarmHeldOpen();
    const reason = this.#heldOpen ? 'after_held_open' : this.#forced ? 'after_forced' : 'closed';
    this.#heldOpen = false;
    this.#forced = false;
    this.#options.setAlarm('held_open', false);
    this.#options.setAlarm('forced', false);
    this.#options.report('door.closed', null, reason);
  }

  #armHeldOpen(): void {
    if (this.#suppressed || this.#heldTimer) return;
    this.#heldTimer = setTimeout(() => {
      this.#heldTimer = null;
      if (!this.#open || this.#heldOpen || this.#suppressed) return;
      this.#heldOpen = true;
      this.#options.setAlarm('held_open', true);
      this.#options.report('door.held_open', null, 'held_open');
    }, this.#options.heldOpenMs);
  }

  #disarmHeldOpen(): void {
    if (this.#heldTimer) clearTimeout(this.#heldTimer);
    this.#heldTimer = null;
  }
}
