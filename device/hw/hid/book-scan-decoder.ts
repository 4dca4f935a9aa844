// A library desk's book scanner is a keyboard wedge like the card readers: the same boot-keyboard
// reports, decoded by the same KeyboardReportDecoder into lines. Each line must then be a barcode
// (lib/barcode.ts: EAN-13, ISBN-13, ISBN-10 with valid check digits, or a copy's own label);
// anything else is refused with a stable reason the desk shows ("scan again"), never looked up.
import { parseBarcode, type Barcode, type BarcodeProblem } from '../../../lib/index.js';
import { KeyboardReportDecoder, type DecoderOutput } from './keyboard-decoder.js';

/** Stable codes for a refused scan. */
export type ScanRefusal = 'garbage_report' | 'partial_scan' | 'overlong' | 'unexpected_key' | BarcodeProblem;

export type BookScanOutput = { type: 'scan'; barcode: Barcode } | { type: 'refused'; reason: ScanRefusal; detail: string };

export interface BookScanDecoderOptions {
  /** Longest line accepted; an EAN-13 with a 5-digit add-on is 18, a copy label at most 64. */
  maxLength: number;
  interCharTimeoutMs: number;
}

export const DEFAULT_BOOK_SCAN_OPTIONS: BookScanDecoderOptions = { maxLength: 64, interCharTimeoutMs: 100 };

/**
 * The keyboard decoder reports its problems as text for technicians; the desk needs codes. The
 * texts are matched here, in one place, and tests/device/library/book-scan.test.ts pins each one.
 */
function refusalOf(message: string): ScanRefusal {
  if (message.startsWith('partial code')) return 'partial_scan';
  if (message.startsWith('line longer than')) return 'overlong';
  if (message.includes('cannot be part of a code')) return 'unexpected_key';
  return 'garbage_report';
}

export class BookScanDecoder {
  readonly #keys: KeyboardReportDecoder;

  constructor(options: BookScanDecoderOptions = DEFAULT_BOOK_SCAN_OPTIONS) {
    this.#keys = new KeyboardReportDecoder(options);
  }

  /** Feeds one input report received at `nowMs` (monotonic). */
  push(report: Uint8Array, nowMs: number): BookScanOutput[] {
    return this.#convert(this.#keys.push(report, nowMs));
  }

  /** Drops a partial scan whose next character is overdue (call from a timer). */
  expire(nowMs: number): BookScanOutput[] {
    return this.#convert(this.#keys.expire(nowMs));
  }

  hasPartial(): boolean {
    return this.#keys.hasPartial();
  }

  reset(): void {
    this.#keys.reset();
  }

  #convert(outputs: readonly DecoderOutput[]): BookScanOutput[] {
    return outputs.map((output): BookScanOutput => {
      if (output.type === 'warning') return { type: 'refused', reason: refusalOf(output.message), detail: output.message };
      const parsed = parseBarcode(output.value);
      return parsed.ok ? { type: 'scan', barcode: parsed.barcode } : { type: 'refused', reason: parsed.problem, detail: parsed.detail };
    });
  }
}
