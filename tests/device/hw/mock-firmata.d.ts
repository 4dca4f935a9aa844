// Types for the mock-firmata dev package (it ships none): just what the tests use.
declare module 'mock-firmata' {
  import { EventEmitter } from 'node:events';
  export class Firmata extends EventEmitter {
    constructor(opts?: Record<string, unknown>);
    readonly isReady: boolean;
    pins: Array<{ supportedModes: number[]; mode: number; value: number; report: number; analogChannel: number }>;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    digitalRead(pin: number, callback: (value: number) => void): void;
    [key: string]: unknown;
  }
  export const Pins: Record<string, unknown>;
  /** A serial port stand-in: write() does nothing, close() only sets isClosed (it never calls back). */
  export class SerialPort extends EventEmitter {
    constructor(path: string);
    readonly path: string;
    isClosed: boolean;
    write(): void;
    close(callback?: (error?: Error | null) => void): void;
  }
}
