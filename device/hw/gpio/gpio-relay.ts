// Relay on a Raspberry Pi GPIO pin through onoff. The pin is exported as an output already at the
// released level ('low'/'high' direction sets the level atomically with the direction), so a
// restart never glitches the coil on. Active-low inversion comes from lock-polarity.ts.
import type { Logger } from 'pino';
import type { GpioFactory, GpioHandle } from '../deps.js';
import { pinLevelForCoil } from '../lock-polarity.js';
import type { Relay, RelayWiring } from '../types.js';

export interface GpioRelayOptions {
  name: string;
  pin: number;
  wiring: RelayWiring;
  gpio: GpioFactory;
  logger: Logger;
}

export class GpioRelay implements Relay {
  readonly name: string;
  readonly wiring: RelayWiring;
  readonly pin: number;
  #handle: GpioHandle | null;
  #energised = false;
  readonly #logger: Logger;

  constructor(options: GpioRelayOptions) {
    this.name = options.name;
    this.wiring = options.wiring;
    this.pin = options.pin;
    this.#logger = options.logger.child({ ns: 'relay', relay: options.name, pin: options.pin });
    const releasedLevel = pinLevelForCoil(false, options.wiring.activeLow);
    this.#handle = options.gpio(options.pin, releasedLevel === 1 ? 'high' : 'low', 'none', {});
  }

  get energised(): boolean {
    return this.#energised;
  }

  set(energised: boolean): Promise<void> {
    const handle = this.#handle;
    if (!handle) return Promise.reject(new Error(`relay ${this.name} is closed`));
    try {
      // writeSync: the command is on the pin when set() resolves, which is what grant() promises.
      handle.writeSync(pinLevelForCoil(energised, this.wiring.activeLow));
    } catch (error) {
      this.#logger.error({ err: error }, 'GPIO write failed');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.#energised = energised;
    return Promise.resolve();
  }

  close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    if (handle) {
      try {
        handle.unexport();
      } catch (error) {
        this.#logger.warn({ err: error }, 'GPIO unexport failed');
      }
    }
    return Promise.resolve();
  }
}
