// The narrow interfaces every hardware driver implements. Only device/hw/<driver>/ imports native
// hardware libraries (onoff, johnny-five, node-hid); everything else sees these. Each interface has
// a real driver and a simulated twin, chosen from config at start-up.
import type { EventEmitter } from 'node:events';

/** Driven level after NO/NC and active-low inversion: `energise(true)` means "coil on". */
export interface Relay {
  readonly name: string;
  /** Energises or releases the coil. Resolves when the command has been written to the transport. */
  set(energised: boolean): Promise<void>;
  /** Last commanded state (not a read-back). */
  readonly energised: boolean;
  /**
   * How the relay is wired, so the door controller can map "locked"/"unlocked" to a coil state in
   * one place (device/hw/lock-polarity.ts). Absent = NO contact, active-high.
   */
  readonly wiring?: RelayWiring;
  close(): Promise<void>;
}

export interface RelayWiring {
  /** NO: energising the coil closes the contact (powers the lock); NC: energising opens it. */
  contact: 'NO' | 'NC';
  /** The relay board's input switches the coil on when driven LOW. */
  activeLow: boolean;
}

/** Door-position sensor, request-to-exit button, fire-alarm input, tamper switch. */
export interface DigitalInput extends EventEmitter {
  readonly name: string;
  /** Logical state after inversion: true = active (door open, button pressed, alarm on). */
  read(): boolean;
  /** Emits 'change' (active: boolean). */
  close(): Promise<void>;
}

export type ReaderStatus = 'connected' | 'disconnected' | 'reconnecting' | 'failed';

/** A presentation as it leaves a reader, before identification. */
export type Presentation =
  | { kind: 'card' | 'qr'; readerId: string; monoMs: number; value: string }
  | { kind: 'face'; readerId: string; monoMs: number; image: Buffer }
  | { kind: 'palm'; readerId: string; monoMs: number; vector: Float32Array; quality: number };

/**
 * Card/QR readers (keyboard-wedge HID), palm readers, cameras with a face tracker.
 * Emits 'presentation' (Presentation), 'status' (ReaderStatus), 'warning' (string) for ignored input.
 */
export interface CredentialReader extends EventEmitter {
  readonly id: string;
  readonly door: string;
  readonly direction: 'in' | 'out';
  status(): ReaderStatus;
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional back-pressure: whoever consumes presentations calls this once a presentation has been
   * decided (or dropped). A camera reader then sends its newest frame instead of queueing old ones.
   */
  settled?(presentation: Presentation): void;
}

/** Camera frames: JPEG (or PNG) bytes, transient, never written to disk. */
export interface FrameSource extends EventEmitter {
  readonly id: string;
  /** Emits 'frame' (Buffer), 'error' is never emitted: failures go to 'status'. */
  start(): Promise<void>;
  close(): Promise<void>;
  status(): ReaderStatus;
}

/** Small physical displays at the kiosk or in the lobby (HD44780 LCD, MAX7219 LED matrix). */
export interface TextDisplay {
  readonly name: string;
  show(lines: string[]): Promise<void>;
  close(): Promise<void>;
}
