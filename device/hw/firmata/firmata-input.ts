// Digital input on a Firmata board pin. Firmata reports digital ports on change; johnny-five's
// board.digitalRead registers the callback. Inversion comes from lock-polarity.ts. Debounced here
// (the board does not): a level counts once it has held for debounceMs.
import { EventEmitter } from 'node:events';
import type { Board, PinMode } from 'johnny-five';
import type { Logger } from 'pino';
import { activeFromPinLevel } from '../lock-polarity.js';
import type { DigitalInput, DigitalInputEvents } from '../types.js';

// Firmata mode numbers; johnny-five's PinMode enum has no PULLUP and is only imported as a type here.
const PIN_MODE_INPUT = 0 as PinMode;
const PIN_MODE_PULLUP = 0x0b as PinMode;

export interface FirmataInputOptions {
  name: string;
  board: Board;
  pin: number | string;
  activeLow: boolean;
  pullup: boolean;
  /** 0 = report every change at once. */
  debounceMs?: number;
  logger: Logger;
}

export class FirmataInput extends EventEmitter<DigitalInputEvents> implements DigitalInput {
  readonly name: string;
  readonly pin: number | string;
  readonly #activeLow: boolean;
  readonly #debounceMs: number;
  #active: boolean;
  #pending: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: FirmataInputOptions) {
    super();
    this.name = options.name;
    this.pin = options.pin;
    this.#activeLow = options.activeLow;
    this.#debounceMs = options.debounceMs ?? 0;
    // Until the board reports, assume the idle level: a pull-up idles HIGH, otherwise LOW.
    this.#active = activeFromPinLevel(options.pullup ? 1 : 0, options.activeLow);
    options.logger.child({ ns: 'input', input: options.name, pin: options.pin }).debug('Firmata input configured');
    options.board.pinMode(options.pin, options.pullup ? PIN_MODE_PULLUP : PIN_MODE_INPUT);
    options.board.digitalRead(options.pin, (value: number) => this.#onReport(value));
  }

  read(): boolean {
    return this.#active;
  }

  #onReport(value: number): void {
    if (this.#closed) return;
    const active = activeFromPinLevel(value, this.#activeLow);
    if (this.#pending) clearTimeout(this.#pending);
    this.#pending = null;
    if (active === this.#active) return;
    if (this.#debounceMs === 0) {
      this.#commit(active);
      return;
    }
    this.#pending = setTimeout(() => {
      this.#pending = null;
      this.#commit(active);
    }, this.#debounceMs);
  }

  #commit(active: boolean): void {
    if (this.#closed || active === this.#active) return;
    this.#active = active;
    this.emit('change', active);
  }

  close(): Promise<void> {
    // Firmata has no per-callback unsubscribe; the closed flag mutes further reports.
    this.#closed = true;
    if (this.#pending) clearTimeout(this.#pending);
    this.removeAllListeners();
    return Promise.resolve();
  }
}
