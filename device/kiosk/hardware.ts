// Builds the doors and readers a configuration names, through the hardware and door factories.
// Only the drivers a config names are loaded, so a laptop without GPIO or HID libraries starts.
import type { Logger } from 'pino';
import type { KioskConfig } from '../config/index.js';
import { createDoors, type DoorController, type DoorSet } from '../door/index.js';
import { createReader, withDefaultTransports, type HwDeps } from '../hw/index.js';
import { createFirmataBoardPool, type FirmataBoardPool } from '../hw/index.js';
import type { CredentialReader, DigitalInput, Relay } from '../hw/index.js';

export interface KioskHardware {
  doorSet: DoorSet;
  doors: Map<string, DoorController>;
  readers: Map<string, CredentialReader>;
  /** Every relay and input by "<door>.<role>", for the simulator page and status. */
  relays: Map<string, Relay>;
  inputs: Map<string, DigitalInput>;
  /**
   * The one Firmata board pool: the LCD and LED matrix share it with relays, so a port opens once.
   * Closed (serial ports released) after the doors have closed at shutdown.
   */
  openFirmataBoard: FirmataBoardPool;
}

export async function buildHardware(config: KioskConfig, logger: Logger, monoNow: () => number): Promise<KioskHardware> {
  const openFirmataBoard = createFirmataBoardPool(logger);
  const deps: HwDeps = withDefaultTransports({ logger, monoNow, firmataBoard: openFirmataBoard });
  const doorSet = await createDoors(config.doors, deps).catch(async (error: unknown) => {
    await openFirmataBoard.close();
    throw error;
  });
  const hardware: KioskHardware = { doorSet, doors: new Map(), readers: new Map(), relays: new Map(), inputs: new Map(), openFirmataBoard };
  for (const name of doorSet.names()) {
    const parts = doorSet.parts(name);
    if (parts === undefined) continue;
    hardware.doors.set(name, parts.controller);
    const relays = { relay: parts.relays.in, exitRelay: parts.relays.out, buzzer: parts.buzzer };
    for (const [role, relay] of Object.entries(relays)) if (relay !== undefined) hardware.relays.set(`${name}.${role}`, relay);
    const inputs = { sensor: parts.sensor, exitButton: parts.exitButton, fireAlarm: parts.fireAlarm };
    for (const [role, input] of Object.entries(inputs)) if (input !== undefined) hardware.inputs.set(`${name}.${role}`, input);
  }
  try {
    for (const readerConfig of config.readers) hardware.readers.set(readerConfig.id, await createReader(readerConfig, deps));
  } catch (error) {
    await doorSet.close();
    await openFirmataBoard.close();
    throw error;
  }
  return hardware;
}
