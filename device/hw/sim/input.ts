// Simulated digital input (door sensor, exit button, fire alarm): the simulator page or a test
// calls set(active) and listeners see the same 'change' events a real pin would produce.
import { EventEmitter } from 'node:events';
import type { DigitalInput, DigitalInputEvents } from '../types.js';

export class SimulatedInput extends EventEmitter<DigitalInputEvents> implements DigitalInput {
  #active: boolean;

  constructor(
    readonly name: string,
    initial = false,
  ) {
    super();
    this.#active = initial;
  }

  read(): boolean {
    return this.#active;
  }

  /** Changes the logical state; emits 'change' only on an actual change, like a debounced pin. */
  set(active: boolean): void {
    if (active === this.#active) return;
    this.#active = active;
    this.emit('change', active);
  }

  close(): Promise<void> {
    this.removeAllListeners();
    return Promise.resolve();
  }
}
