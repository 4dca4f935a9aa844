// Relay on a Firmata board pin (an Arduino on USB serial) through johnny-five. Active-low comes
// from lock-polarity.ts; the pin is set to the released level before it becomes an output so the
// coil never clicks on while the board is being configured.
import type { Board, PinMode } from 'johnny-five';
import type { Logger } from 'pino';
import { pinLevelForCoil } from '../lock-polarity.js';
import type { Relay, RelayWiring } from '../types.js';

const PIN_MODE_OUTPUT = 1 as PinMode;

export interface FirmataRelayOptions {
  name: string;
  board: Board;
  pin: number | string;
  wiring: RelayWiring;
  logger: Logger;
}

export class FirmataRelay implements Relay {
  readonly name: string;
  readonly wiring: RelayWiring;
  readonly pin: number | string;
  #board: Board | null;
  #energised = false;
  readonly #logger: Logger;

  constructor(options: FirmataRelayOptions) {
    this.name = options.name;
    this.wiring = options.wiring;
    this.pin = options.pin;
    this.#board = options.board;
    this.#logger = options.logger.child({ ns: 'relay', relay: options.name, pin: options.pin });
    const released = pinLevelForCoil(false, options.wiring.activeLow);
    options.board.digitalWrite(options.pin, released);
    options.board.pinMode(options.pin, PIN_MODE_OUTPUT);
    options.board.digitalWrite(options.pin, released);
  }

  get energised(): boolean {
    return this.#energised;
  }

  set(energised: boolean): Promise<void> {
    const board = this.#board;
    if (!board) return Promise.reject(new Error(`relay ${this.name} is closed`));
    try {
      board.digitalWrite(this.pin, pinLevelForCoil(energised, this.wiring.activeLow));
    } catch (error) {
      this.#logger.error({ err: error }, 'Firmata write failed');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.#energised = energised;
    return Promise.resolve();
  }

  /** Leaves the pin as it is: the board is shared, and safe state is the door's decision. */
  close(): Promise<void> {
    this.#board = null;
    return Promise.resolve();
  }
}
