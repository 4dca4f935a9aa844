// Public face of the hardware layer: config schemas, interfaces, factories and simulated twins.
// The factories load a native library only when the config names its driver, so `npm start` on a
// laptop without onoff, johnny-five, node-hid or any hardware uses the simulated drivers and runs.
import type { GpioFactory, HwDeps } from './deps.js';
import type { InputConfig, ReaderConfig, RelayConfig } from './config.js';
import { createFirmataBoardPool } from './firmata/board-pool.js';
import { FirmataInput } from './firmata/firmata-input.js';
import { FirmataRelay } from './firmata/firmata-relay.js';
import { GpioInput } from './gpio/gpio-input.js';
import { GpioRelay } from './gpio/gpio-relay.js';
import { HidPalmReader } from './hid/palm-reader.js';
import { HidWedgeReader } from './hid/wedge-reader.js';
import { loadNodeHidBackend } from './hid/node-hid-backend.js';
import { SimulatedInput } from './sim/input.js';
import { SimulatedCardReader, SimulatedPalmReader } from './sim/readers.js';
import { SimulatedRelay } from './sim/relay.js';
import type { CredentialReader, DigitalInput, Relay } from './types.js';

export * from './types.js';
export * from './config.js';
export * from './deps.js';
export * from './lock-polarity.js';
export { SimulatedRelay, type RelayCommand } from './sim/relay.js';
export { SimulatedInput } from './sim/input.js';
export { SimulatedCardReader, SimulatedPalmReader } from './sim/readers.js';
export { GpioRelay } from './gpio/gpio-relay.js';
export { GpioInput } from './gpio/gpio-input.js';
export { FirmataRelay } from './firmata/firmata-relay.js';
export { FirmataInput } from './firmata/firmata-input.js';
export { createFirmataBoardPool } from './firmata/board-pool.js';
export { HidWedgeReader, normaliseCardUid } from './hid/wedge-reader.js';
export { HidPalmReader } from './hid/palm-reader.js';
export { selectHidDevice, type HidSelector } from './hid/hid-reader-base.js';
export { KeyboardReportDecoder, validateReport, type DecoderOutput } from './hid/keyboard-decoder.js';
export { BookScanDecoder, DEFAULT_BOOK_SCAN_OPTIONS, type BookScanDecoderOptions, type BookScanOutput, type ScanRefusal } from './hid/book-scan-decoder.js';
export { PalmFrameDecoder, encodePalmReports, crc16, type PalmOutput } from './hid/palm-frame.js';
export { loadNodeHidBackend } from './hid/node-hid-backend.js';
export * from './camera/index.js';
export { CameraReader, type CameraReaderOptions } from './camera/index.js';

async function loadOnoffGpio(): Promise<GpioFactory> {
  type OnoffModule = typeof import('onoff');
  const imported = (await import('onoff')) as OnoffModule & { default?: OnoffModule };
  const { Gpio } = imported.default ?? imported;
  return (pin, direction, edge, opts) => {
    try {
      return new Gpio(pin, direction, edge, opts);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `GPIO ${pin} cannot be opened (${reason}): is this a Raspberry Pi with sysfs GPIO, is the number the sysfs one (BCM + gpiochip base on kernels >= 6.6), and is the user in the gpio group?`,
        { cause: error },
      );
    }
  };
}

/**
 * Fills in the default transports once, so every device built from the result shares them (one
 * Firmata board per serial port). Pass the result to createRelay/createInput/createReader.
 */
export function withDefaultTransports(deps: HwDeps): HwDeps {
  return { ...deps, firmataBoard: deps.firmataBoard ?? createFirmataBoardPool(deps.logger) };
}

function defaultName(cfg: RelayConfig | InputConfig, role: string): string {
  if (cfg.name) return cfg.name;
  if (cfg.driver === 'sim') return `sim-${role}`;
  return cfg.driver === 'gpio' ? `gpio${cfg.pin}` : `firmata${cfg.port ? `:${cfg.port}` : ''}:${cfg.pin}`;
}

export async function createRelay(cfg: RelayConfig, deps: HwDeps): Promise<Relay> {
  const name = defaultName(cfg, 'relay');
  const wiring = { contact: cfg.contact, activeLow: cfg.activeLow };
  switch (cfg.driver) {
    case 'sim':
      return new SimulatedRelay(name, wiring);
    case 'gpio':
      return new GpioRelay({ name, pin: cfg.pin, wiring, gpio: deps.gpio ?? (await loadOnoffGpio()), logger: deps.logger });
    case 'firmata': {
      const open = deps.firmataBoard ?? createFirmataBoardPool(deps.logger);
      return new FirmataRelay({ name, board: await open(cfg.port), pin: cfg.pin, wiring, logger: deps.logger });
    }
  }
}

export async function createInput(cfg: InputConfig, deps: HwDeps): Promise<DigitalInput> {
  const name = defaultName(cfg, 'input');
  switch (cfg.driver) {
    case 'sim':
      return new SimulatedInput(name, cfg.initial);
    case 'gpio':
      return new GpioInput({ name, pin: cfg.pin, activeLow: cfg.activeLow, debounceMs: cfg.debounceMs, gpio: deps.gpio ?? (await loadOnoffGpio()), logger: deps.logger });
    case 'firmata': {
      const open = deps.firmataBoard ?? createFirmataBoardPool(deps.logger);
      return new FirmataInput({ name, board: await open(cfg.port), pin: cfg.pin, activeLow: cfg.activeLow, pullup: cfg.pullup, debounceMs: cfg.debounceMs, logger: deps.logger });
    }
  }
}

/** Builds a reader; call start() on it. HID readers retry in the background until plugged in. */
export async function createReader(cfg: ReaderConfig, deps: HwDeps): Promise<CredentialReader> {
  const { id, door, direction } = cfg;
  switch (cfg.driver) {
    case 'sim':
      return cfg.kind === 'palm'
        ? new SimulatedPalmReader(id, door, direction, deps.monoNow)
        : new SimulatedCardReader(id, door, direction, cfg.kind, deps.monoNow);
    case 'hid-wedge':
    case 'hid-palm': {
      const base = {
        id,
        door,
        direction,
        selector: { vendorId: cfg.vendorId, productId: cfg.productId, path: cfg.path },
        backend: deps.hid ?? (await loadNodeHidBackend()),
        logger: deps.logger,
        reconnectMinMs: cfg.reconnectMinMs,
        reconnectMaxMs: cfg.reconnectMaxMs,
        ...(deps.monoNow ? { monoNow: deps.monoNow } : {}),
      };
      return cfg.driver === 'hid-wedge'
        ? new HidWedgeReader({ ...base, kind: cfg.kind, uidFormat: cfg.uidFormat, interCharTimeoutMs: cfg.interCharTimeoutMs, maxLength: cfg.maxLength, reportId: cfg.reportId })
        : new HidPalmReader({ ...base, dimension: cfg.dimension, frameTimeoutMs: cfg.frameTimeoutMs });
    }
    case 'camera': {
      // Loaded only when a config names a camera, like the native drivers above.
      const [{ createFrameSource }, { CameraReader }] = await Promise.all([import('./camera/index.js'), import('./camera/camera-reader.js')]);
      const source = createFrameSource(cfg.source, deps.logger);
      return new CameraReader({ id, door, direction, source, maxFps: cfg.maxFps, ...(deps.monoNow ? { monoNow: deps.monoNow } : {}) });
    }
  }
}
export type { FirmataBoardPool } from './firmata/board-pool.js';
export { LcdDisplay, RecordingTextDisplay } from './firmata/lcd.js';
export { MatrixDisplay } from './firmata/matrix.js';
