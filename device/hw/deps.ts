// Low-level transports the drivers are built on. Each is injectable so tests fake the transport
// (a fake GPIO handle, MockFirmata as johnny-five's io, recorded HID reports), never our modules.
// Defaults load the native library lazily, only when a config names that driver.
import type { Logger } from 'pino';
import type { Board } from 'johnny-five';

export type GpioLevel = 0 | 1;
export type GpioDirection = 'in' | 'out' | 'high' | 'low';
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';
export interface GpioOptions {
  debounceTimeout?: number;
  activeLow?: boolean;
  reconfigureDirection?: boolean;
}

/** The subset of onoff's `Gpio` the drivers use. */
export interface GpioHandle {
  readSync(): GpioLevel;
  writeSync(value: GpioLevel): void;
  watch(callback: (err: Error | null | undefined, value: GpioLevel) => void): void;
  unwatchAll(): void;
  unexport(): void;
}

export type GpioFactory = (pin: number, direction: GpioDirection, edge: GpioEdge, opts: GpioOptions) => GpioHandle;

/** Opens (or returns the already open) johnny-five board on a serial port; undefined = auto-detect. */
export type FirmataBoardOpener = (port: string | undefined) => Promise<Board>;

export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  product?: string | undefined;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  interface?: number;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

/** An open HID device: emits 'data' (Buffer, one input report) and 'error' (Error, e.g. unplugged). */
export interface HidHandle {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeAllListeners(event?: string): unknown;
  close(): void | Promise<void>;
}

export interface HidBackend {
  devices(): HidDeviceInfo[] | Promise<HidDeviceInfo[]>;
  open(path: string): HidHandle | Promise<HidHandle>;
}

export interface HwDeps {
  logger: Logger;
  gpio?: GpioFactory;
  firmataBoard?: FirmataBoardOpener;
  hid?: HidBackend;
  /** Monotonic milliseconds for presentations; defaults to performance.now(). */
  monoNow?: () => number;
}
