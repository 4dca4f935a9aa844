// Simulated credential readers: the simulator page, the CLI (`esik simulate card UID`) and tests
// present a credential and it leaves the reader exactly as a real one would.
import { EventEmitter } from 'node:events';
import type { Direction, TokenKind } from '../../vocabulary.js';
import type { CredentialReader, CredentialReaderEvents, Presentation, ReaderStatus } from '../types.js';

abstract class SimulatedReader extends EventEmitter<CredentialReaderEvents> implements CredentialReader {
  #status: ReaderStatus = 'disconnected';

  constructor(
    readonly id: string,
    readonly door: string,
    readonly direction: Direction,
    protected readonly monoNow: () => number = () => performance.now(),
  ) {
    super();
  }

  status(): ReaderStatus {
    return this.#status;
  }

  start(): Promise<void> {
    this.#setStatus('connected');
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#setStatus('disconnected');
    return Promise.resolve();
  }

  /** Lets a test or the simulator page pretend the reader was unplugged or came back. */
  setStatus(status: ReaderStatus): void {
    this.#setStatus(status);
  }

  protected deliver(presentation: Presentation): void {
    if (this.#status !== 'connected') {
      this.emit('warning', `reader ${this.id} is ${this.#status}: presentation dropped`);
      return;
    }
    this.emit('presentation', presentation);
  }

  #setStatus(status: ReaderStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit('status', status);
  }
}

export class SimulatedCardReader extends SimulatedReader {
  constructor(
    id: string,
    door: string,
    direction: Direction,
    readonly kind: TokenKind = 'card',
    monoNow?: () => number,
  ) {
    super(id, door, direction, monoNow);
  }

  present(value: string, kind: TokenKind = this.kind): void {
    const trimmed = value.trim();
    if (trimmed.length === 0 || trimmed.length > 256) {
      this.emit('warning', `reader ${this.id}: ignored empty or overlong value`);
      return;
    }
    this.deliver({ kind, readerId: this.id, monoMs: this.monoNow(), value: trimmed });
  }
}

export class SimulatedPalmReader extends SimulatedReader {
  present(vector: Float32Array | number[], quality: number): void {
    const values = Float32Array.from(vector);
    if (values.length === 0 || !values.every(Number.isFinite) || !(quality >= 0 && quality <= 1)) {
      this.emit('warning', `reader ${this.id}: ignored palm vector (empty, non-finite or quality out of 0..1)`);
      return;
    }
    this.deliver({ kind: 'palm', readerId: this.id, monoMs: this.monoNow(), vector: values, quality });
  }
}
