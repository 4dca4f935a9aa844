// Builds the doors and readers a configuration names, through the hardware factories. Only the
// drivers a config names are loaded, so a laptop without GPIO or HID libraries still starts.
import type { Logger } from 'pino';
import type { KioskConfig } from '../config/index.js';
import { DoorController } from '../door/controller.js';
import { createInput, createReader, createRelay, withDefaultTransports } from '../hw/index.js';
import type { HwDeps } from '../hw/deps.js';
import type { CredentialReader, DigitalInput, Relay } from '../hw/types.js';

export interface KioskHardware {
  doors: Map<string, DoorController>;
  readers: Map<string, CredentialReader>;
  /** Every relay and input by "<door>.<role>", for the simulator page and `esik relay test`. */
  relays: Map<string, Relay>;
  inputs: Map<string, DigitalInput>;
}

export async function buildHardware(config: KioskConfig, logger: Logger, monoNow: () => number): Promise<KioskHardware> {
  const deps: HwDeps = withDefaultTransports({ logger, monoNow });
  const hardware: KioskHardware = { doors: new Map(), readers: new Map(), relays: new Map(), inputs: new Map() };
  for (const door of config.doors) {
    const relay = await createRelay({ ...door.relay, name: door.relay.name ?? `${door.name}.relay` }, deps);
    hardware.relays.set(`${door.name}.relay`, relay);
    const exitRelay = door.exitRelay === undefined ? undefined : await createRelay({ ...door.exitRelay, name: door.exitRelay.name ?? `${door.name}.exitRelay` }, deps);
    if (exitRelay !== undefined) hardware.relays.set(`${door.name}.exitRelay`, exitRelay);
    const input = async (role: 'sensor' | 'exitButton' | 'fireAlarm'): Promise<DigitalInput | undefined> => {
      const cfg = door[role];
      if (cfg === undefined) return undefined;
      const created = await createInput({ ...cfg, name: cfg.name ?? `${door.name}.${role}` }, deps);
      hardware.inputs.set(`${door.name}.${role}`, created);
      return created;
    };
    const controller = new DoorController({
      name: door.name,
      kind: door.kind,
      lockType: door.lockType,
      pulseMs: door.pulseMs,
      heldOpenMs: door.heldOpenMs,
      relays: { in: relay, out: exitRelay },
      buzzer: door.buzzer === undefined ? undefined : await createRelay({ ...door.buzzer, name: door.buzzer.name ?? `${door.name}.buzzer` }, deps),
      buzzerMs: door.buzzerMs,
      sensor: await input('sensor'),
      exitButton: await input('exitButton'),
      fireAlarm: await input('fireAlarm'),
      logger,
    });
    hardware.doors.set(door.name, controller);
  }
  for (const readerConfig of config.readers) {
    hardware.readers.set(readerConfig.id, await createReader(readerConfig, deps));
  }
  return hardware;
}
