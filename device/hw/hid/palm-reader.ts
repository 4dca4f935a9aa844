// Palm-vein reader on node-hid: 64-byte reports -> PalmFrameDecoder -> { kind: 'palm', vector,
// quality }. Matching is the biometric engine's job; this only delivers checked vectors.
import { HidReaderBase, type HidReaderOptions } from './hid-reader-base.js';
import { PalmFrameDecoder, type PalmOutput } from './palm-frame.js';

export interface HidPalmReaderOptions extends HidReaderOptions {
  dimension?: number | undefined;
  frameTimeoutMs: number;
}

export class HidPalmReader extends HidReaderBase {
  readonly #decoder: PalmFrameDecoder;
  readonly #frameTimeoutMs: number;
  #frameTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: HidPalmReaderOptions) {
    super(options, 'hid-palm');
    this.#decoder = new PalmFrameDecoder(options.dimension);
    this.#frameTimeoutMs = options.frameTimeoutMs;
  }

  protected onReport(report: Buffer): void {
    this.#handle(this.#decoder.push(report));
    this.#clearTimer();
    if (this.#decoder.hasPartial()) {
      this.#frameTimer = setTimeout(() => {
        this.#frameTimer = null;
        if (!this.#decoder.hasPartial()) return;
        this.#decoder.reset();
        this.warn(`palm frame incomplete after ${this.#frameTimeoutMs} ms: dropped`);
      }, this.#frameTimeoutMs);
    }
  }

  protected onDisconnect(): void {
    this.#clearTimer();
    if (this.#decoder.hasPartial()) this.warn('palm frame dropped: reader disconnected');
    this.#decoder.reset();
  }

  #handle(outputs: PalmOutput[]): void {
    for (const output of outputs) {
      if (output.type === 'warning') this.warn(output.message);
      else this.emit('presentation', { kind: 'palm', readerId: this.id, monoMs: this.monoNow(), vector: output.vector, quality: output.quality });
    }
  }

  #clearTimer(): void {
    if (this.#frameTimer) clearTimeout(this.#frameTimer);
    this.#frameTimer = null;
  }
}
