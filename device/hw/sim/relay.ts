// Simulated relay: records every command with its time so tests and the simulator page can show
// exactly what a real coil would have done.
import type { Relay, RelayWiring } from '../types.js';
import { pinLevelForCoil, type PinLevel } from '../lock-polarity.js';

export interface RelayCommand {
  energised: boolean;
  /** Pin level a real board with the same wiring would have seen. */
  level: PinLevel;
  /** Date.now() at the command (fake timers control it in tests). */
  at: number;
}

export class SimulatedRelay implements Relay {
  readonly history: RelayCommand[] = [];
  #energised = false;
  #closed = false;

  constructor(
    readonly name: string,
    readonly wiring: RelayWiring = { contact: 'NO', activeLow: false },
    private readonly onSet?: (command: RelayCommand) => void,
  ) {}

  get energised(): boolean {
    return this.#energised;
  }

  set(energised: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`relay ${this.name} is closed`));
    this.#energised = energised;
    const command: RelayCommand = { energised, level: pinLevelForCoil(energised, this.wiring.activeLow), at: Date.now() };
    this.history.push(command);
    this.onSet?.(command);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
