// Keyboard-wedge card/QR reader on node-hid: input reports -> KeyboardReportDecoder -> one
// Presentation per line. Card UIDs are normalised to upper-case hex whatever the reader types, so
// the roster holds one spelling; a line that is not a UID in the configured format is a warning.
import { HidReaderBase, type HidReaderOptions } from './hid-reader-base.js';
import { KeyboardReportDecoder, type DecoderOutput } from './keyboard-decoder.js';
import type { TokenKind } from '../../vocabulary.js';

export interface HidWedgeReaderOptions extends HidReaderOptions {
  kind: TokenKind;
  uidFormat: 'hex' | 'decimal';
  interCharTimeoutMs: number;
  maxLength: number;
  reportId?: number | undefined;
}

/** Upper-case hex UID from what the reader typed, or null if it is not a UID in that format. */
export function normaliseCardUid(line: string, format: 'hex' | 'decimal'): string | null {
  const text = line.trim();
  if (format === 'hex') {
    const hex = text.replace(/^0x/iu, '');
    return /^[0-9a-f]{2,64}$/iu.test(hex) ? hex.toUpperCase() : null;
  }
  if (!/^\d{1,40}$/u.test(text)) return null;
  // Decimal readers print the UID as one big number (e.g. "0077773084"); pad to whole bytes, 4 min.
  const hex = BigInt(text).toString(16).toUpperCase();
  return hex.padStart(Math.max(8, hex.length + (hex.length % 2)), '0');
}

export class HidWedgeReader extends HidReaderBase {
  readonly kind: TokenKind;
  readonly #uidFormat: 'hex' | 'decimal';
  readonly #decoder: KeyboardReportDecoder;
  readonly #interCharTimeoutMs: number;
  readonly #reportId: number | undefined;
  #expiryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: HidWedgeReaderOptions) {
    super(options, 'hid-wedge');
    this.kind = options.kind;
    this.#uidFormat = options.uidFormat;
    this.#interCharTimeoutMs = options.interCharTimeoutMs;
    this.#reportId = options.reportId;
    this.#decoder = new KeyboardReportDecoder({ maxLength: options.maxLength, interCharTimeoutMs: options.interCharTimeoutMs });
  }

  protected onReport(report: Buffer): void {
    let keyboardReport = report;
    if (this.#reportId !== undefined) {
      // Other report ids of a composite reader (media keys, vendor reports) are not ours.
      if (report[0] !== this.#reportId) return;
      keyboardReport = report.subarray(1);
    }
    this.#handle(this.#decoder.push(keyboardReport, this.monoNow()));
    this.#armExpiry();
  }

  protected onDisconnect(): void {
    this.#disarmExpiry();
    if (this.#decoder.hasPartial()) this.warn('partial code dropped: reader disconnected');
    this.#decoder.reset();
  }

  #handle(outputs: DecoderOutput[]): void {
    for (const output of outputs) {
      if (output.type === 'warning') {
        this.warn(output.message);
        continue;
      }
      const value = this.kind === 'card' ? normaliseCardUid(output.value, this.#uidFormat) : output.value;
      if (value === null) {
        this.warn(`line of ${output.value.length} characters is not a ${this.#uidFormat} card UID`);
        continue;
      }
      this.emit('presentation', { kind: this.kind, readerId: this.id, monoMs: this.monoNow(), value });
    }
  }

  /** Drops a stale partial code even when no further report arrives. */
  #armExpiry(): void {
    this.#disarmExpiry();
    if (!this.#decoder.hasPartial()) return;
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = null;
      this.#handle(this.#decoder.expire(this.monoNow()));
    }, this.#interCharTimeoutMs + 1);
  }

  #disarmExpiry(): void {
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
  }
}
