// Digital input on a Raspberry Pi GPIO pin through onoff: edge interrupts via watch(), debounced by
// onoff's debounceTimeout, inverted here (not by onoff's activeLow) so one file owns polarity.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { GpioFactory, GpioHandle, GpioLevel } from '../deps.js';
import { activeFromPinLevel } from '../lock-polarity.js';
import type { DigitalInput, DigitalInputEvents } from '../types.js';

export interface GpioInputOptions {
  name: string;
  pin: number;
  activeLow: boolean;
  debounceMs: number;
  gpio: GpioFactory;
  logger: Logger;
}

export class GpioInput extends EventEmitter<DigitalInputEvents> implements DigitalInput {
  readonly name: string;
  readonly pin: number;
  readonly #activeLow: boolean;
  #handle: GpioHandle | null;
  #active: boolean;
  readonly #logger: Logger;

  constructor(options: GpioInputOptions) {
    super();
    this.name = options.name;
    this.pin = options.pin;
    this.#activeLow = options.activeLow;
    this.#logger = options.logger.child({ ns: 'input', input: options.name, pin: options.pin });
    const handle = options.gpio(options.pin, 'in', 'both', { debounceTimeout: options.debounceMs });
    this.#handle = handle;
    this.#active = activeFromPinLevel(handle.readSync(), options.activeLow);
    handle.watch((err, value) => this.#onEdge(err, value));
  }

  read(): boolean {
    return this.#active;
  }

  #onEdge(err: Error | null | undefined, value: GpioLevel): void {
    if (err) {
      this.#logger.warn({ err }, 'GPIO watch error');
      return;
    }
    const active = activeFromPinLevel(value, this.#activeLow);
    // Debounce can still deliver the same level twice (bounce on release); report changes only.
    if (active === this.#active) return;
    this.#active = active;
    this.emit('change', active);
  }

  close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    if (handle) {
      try {
        handle.unwatchAll();
        handle.unexport();
      } catch (error) {
        this.#logger.warn({ err: error }, 'GPIO unexport failed');
      }
    }
    this.removeAllListeners();
    return Promise.resolve();
  }
}
