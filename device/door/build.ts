// Builds door controllers from config. Inputs with the same wiring are created once and shared
// (one fire-alarm contact feeds every door), Firmata boards once per serial port.
import { createInput, createRelay, withDefaultTransports, type HwDeps } from '../hw/index.js';
import type { InputConfig, RelayConfig } from '../hw/index.js';
import type { DigitalInput, Relay } from '../hw/index.js';
import { DoorConfigSchema, type DoorConfig, type DoorConfigInput } from './config.js';
import { DoorController } from './controller.js';

export interface DoorParts {
  controller: DoorController;
  relays: { in: Relay; out?: Relay | undefined };
  buzzer?: Relay | undefined;
  sensor?: DigitalInput | undefined;
  exitButton?: DigitalInput | undefined;
  fireAlarm?: DigitalInput | undefined;
}

export class DoorSet {
  readonly #parts = new Map<string, DoorParts>();
  readonly #inputs: DigitalInput[];

  constructor(parts: DoorParts[], sharedInputs: DigitalInput[]) {
    for (const part of parts) this.#parts.set(part.controller.name, part);
    this.#inputs = sharedInputs;
  }

  names(): string[] {
    return [...this.#parts.keys()];
  }

  get(name: string): DoorController | undefined {
    return this.#parts.get(name)?.controller;
  }

  /** Relays and inputs of a door: the simulator page and `esik relay test` reach the hardware here. */
  parts(name: string): DoorParts | undefined {
    return this.#parts.get(name);
  }

  controllers(): DoorController[] {
    return [...this.#parts.values()].map((p) => p.controller);
  }

  /** Every door to its shutdown state; resolves when all were tried, rejects if any failed. */
  async safeState(): Promise<void> {
    const results = await Promise.allSettled(this.controllers().map((c) => c.safeState()));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) throw new Error(`${failed.length} door(s) did not reach the safe state`);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.controllers().map((c) => c.close()));
    const relays = [...this.#parts.values()].flatMap((p) => [p.relays.in, p.relays.out, p.buzzer]);
    await Promise.allSettled([...new Set(relays)].filter((r): r is Relay => r !== undefined).map((r) => r.close()));
    await Promise.allSettled(this.#inputs.map((i) => i.close()));
  }
}

function inputKey(cfg: InputConfig): string {
  return JSON.stringify(cfg.driver === 'sim' ? { sim: cfg.name ?? '' } : { ...cfg, name: undefined, debounceMs: undefined });
}

/** Validates and builds every door; on any failure already-built hardware is released. */
export async function createDoors(configs: readonly (DoorConfig | DoorConfigInput)[], deps: HwDeps): Promise<DoorSet> {
  const hw = withDefaultTransports(deps);
  const inputs = new Map<string, DigitalInput>();
  const created: Relay[] = [];
  const parts: DoorParts[] = [];
  const input = async (cfg: InputConfig | undefined, fallbackName: string): Promise<DigitalInput | undefined> => {
    if (!cfg) return undefined;
    const key = inputKey({ ...cfg, name: cfg.name ?? fallbackName });
    const existing = inputs.get(key);
    if (existing) return existing;
    const made = await createInput({ ...cfg, name: cfg.name ?? fallbackName }, hw);
    inputs.set(key, made);
    return made;
  };
  const relay = async (cfg: RelayConfig, name: string): Promise<Relay> => {
    const made = await createRelay({ ...cfg, name: cfg.name ?? name }, hw);
    created.push(made);
    return made;
  };
  try {
    for (const raw of configs) {
      const cfg = DoorConfigSchema.parse(raw);
      parts.push(await buildDoor(cfg, hw, relay, input));
    }
  } catch (error) {
    await Promise.allSettled([...created.map((r) => r.close()), ...[...inputs.values()].map((i) => i.close())]);
    throw error;
  }
  return new DoorSet(parts, [...inputs.values()]);
}

async function buildDoor(
  cfg: DoorConfig,
  hw: HwDeps,
  relay: (cfg: RelayConfig, name: string) => Promise<Relay>,
  input: (cfg: InputConfig | undefined, name: string) => Promise<DigitalInput | undefined>,
): Promise<DoorParts> {
  const relays = {
    in: await relay(cfg.relay, `${cfg.name}.relay`),
    out: cfg.exitRelay ? await relay(cfg.exitRelay, `${cfg.name}.exit-relay`) : undefined,
  };
  const buzzer = cfg.buzzer ? await relay(cfg.buzzer, `${cfg.name}.buzzer`) : undefined;
  const sensor = await input(cfg.sensor, `${cfg.name}.sensor`);
  const exitButton = await input(cfg.exitButton, `${cfg.name}.exit-button`);
  // Named alike on every door so a shared simulated fire alarm is one input.
  const fireAlarm = await input(cfg.fireAlarm, 'fire-alarm');
  const controller = new DoorController({
    name: cfg.name,
    kind: cfg.kind,
    lockType: cfg.lockType,
    pulseMs: cfg.pulseMs,
    heldOpenMs: cfg.heldOpenMs,
    buzzerMs: cfg.buzzerMs,
    relays,
    buzzer,
    sensor,
    exitButton,
    fireAlarm,
    logger: hw.logger,
  });
  await controller.ready;
  return { controller, relays, buzzer, sensor, exitButton, fireAlarm };
}
