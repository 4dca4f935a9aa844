// The narrow interfaces every hardware driver implements. Only device/hw/<driver>/ imports native
// hardware libraries (onoff, johnny-five, node-hid); everything else sees these. Each interface has
// a real driver and a simulated twin, chosen from config at start-up.
import type { EventEmitter } from 'node:events';
import type { Direction, ReaderStatus, TokenKind } from '../vocabulary.js';

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

export interface DigitalInputEvents {
  /** Logical state after inversion, on every edge. */
  change: [active: boolean];
}

/** Door-position sensor, request-to-exit button, fire-alarm input, tamper switch. */
export interface DigitalInput extends EventEmitter<DigitalInputEvents> {
  readonly name: string;
  /** Logical state after inversion: true = active (door open, button pressed, alarm on). */
  read(): boolean;
  close(): Promise<void>;
}

export type { ReaderStatus } from '../vocabulary.js';

/** A presentation as it leaves a reader, before identification. */
export type Presentation =
  | { kind: TokenKind; readerId: string; monoMs: number; value: string }
  | { kind: 'face'; readerId: string; monoMs: number; image: Buffer }
  | { kind: 'palm'; readerId: string; monoMs: number; vector: Float32Array; quality: number };

export interface CredentialReaderEvents {
  presentation: [presentation: Presentation];
  status: [status: ReaderStatus];
  /** Input the reader ignored (empty, overlong, malformed) or dropped while not connected. */
  warning: [message: string];
  /** A reader that reconnects after an unplug says in how many ms it tries again (HID readers). */
  retry: [delayMs: number];
}

/** Card/QR readers (keyboard-wedge HID), palm readers, cameras with a face tracker. */
export interface CredentialReader extends EventEmitter<CredentialReaderEvents> {
  readonly id: string;
  readonly door: string;
  readonly direction: Direction;
  status(): ReaderStatus;
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional back-pressure: whoever consumes presentations calls this once a presentation has been
   * decided (or dropped). A camera reader then sends its newest frame instead of queueing old ones.
   */
  settled?(presentation: Presentation): void;
}

/** 'error' is never emitted: failures go to 'status' and 'warning'. */
export interface FrameSourceEvents {
  /** JPEG (or PNG) bytes of one frame. */
  frame: [frame: Buffer];
  status: [status: ReaderStatus];
  warning: [message: string];
}

/** Camera frames: JPEG (or PNG) bytes, transient, never written to disk. */
export interface FrameSource extends EventEmitter<FrameSourceEvents> {
  readonly id: string;
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
