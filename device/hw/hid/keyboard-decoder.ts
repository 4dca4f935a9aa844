// Decodes HID boot-keyboard input reports (8 bytes: modifiers, reserved, six key slots) from a
// keyboard-wedge card/QR reader into lines. A key counts when it appears in a report and was not
// in the previous one (so a held key's repeated reports and key rollover type each key once); an
// all-zero report releases everything. Enter or keypad Enter ends a line.
//
// Pure and clock-free: the caller passes the time of each report, and calls expire() from a
// timer, so the same code runs under fake timers and against recorded report files.
import { characterFor, isEnter, KEY_ERROR_ROLLOVER, MOD_NON_SHIFT, MOD_SHIFT } from './keymap.js';

export const BOOT_REPORT_LENGTH = 8;

export type DecoderOutput = { type: 'line'; value: string } | { type: 'warning'; message: string };

export interface KeyboardDecoderOptions {
  /** Longest accepted line; a longer one is dropped up to its Enter. */
  maxLength: number;
  /** A gap longer than this between characters drops the partial line. */
  interCharTimeoutMs: number;
}

export class KeyboardReportDecoder {
  #pressed = new Set<number>();
  #line = '';
  #lastCharAt = 0;
  /** Set after an overlong line: everything up to the next Enter is its tail, not a new code. */
  #discarding = false;

  constructor(private readonly options: KeyboardDecoderOptions) {}

  /** Feeds one input report received at `nowMs` (monotonic). */
  push(report: Uint8Array, nowMs: number): DecoderOutput[] {
    const out: DecoderOutput[] = [];
    const problem = validateReport(report);
    if (problem) {
      out.push({ type: 'warning', message: problem });
      // A corrupt report means keys may have been lost: the partial line cannot be trusted.
      this.#dropPartial(out, 'after a garbage report');
      this.#pressed.clear();
      return out;
    }
    const keys = report.subarray(2).filter((k) => k !== 0);
    if (keys.length > 0 && keys.every((k) => k === KEY_ERROR_ROLLOVER)) return out;
    this.expire(nowMs, out);
    const shift = (report[0] & MOD_SHIFT) !== 0;
    const current = new Set<number>(keys);
    for (const key of keys) {
      if (!this.#pressed.has(key)) this.#press(key, shift, nowMs, out);
    }
    this.#pressed = current;
    return out;
  }

  /** Drops a partial line whose next character is overdue. Returns/appends the warning. */
  expire(nowMs: number, out: DecoderOutput[] = []): DecoderOutput[] {
    if ((this.#line.length > 0 || this.#discarding) && nowMs - this.#lastCharAt > this.options.interCharTimeoutMs) {
      this.#dropPartial(out, `after ${Math.round(nowMs - this.#lastCharAt)} ms without a character`);
    }
    return out;
  }

  /** True while a partial line is buffered (the reader arms its timeout timer then). */
  hasPartial(): boolean {
    return this.#line.length > 0 || this.#discarding;
  }

  reset(): void {
    this.#pressed.clear();
    this.#line = '';
    this.#discarding = false;
  }

  #press(key: number, shift: boolean, nowMs: number, out: DecoderOutput[]): void {
    this.#lastCharAt = nowMs;
    if (isEnter(key)) {
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#line.length > 0) {
        out.push({ type: 'line', value: this.#line });
      }
      this.#line = '';
      return;
    }
    if (this.#discarding) return;
    const char = characterFor(key, shift);
    if (char === undefined) {
      out.push({ type: 'warning', message: `key 0x${key.toString(16).padStart(2, '0')} cannot be part of a code` });
      this.#dropPartial(out, 'after an unexpected key');
      return;
    }
    if (this.#line.length >= this.options.maxLength) {
      out.push({ type: 'warning', message: `line longer than ${this.options.maxLength} characters dropped` });
      this.#line = '';
      this.#discarding = true;
      return;
    }
    this.#line += char;
  }

  #dropPartial(out: DecoderOutput[], why: string): void {
    if (this.#line.length > 0) {
      out.push({ type: 'warning', message: `partial code of ${this.#line.length} characters dropped ${why}` });
    }
    this.#line = '';
    this.#discarding = false;
  }
}

/** Why a report is not a boot-keyboard report, or null when it is one. */
export function validateReport(report: Uint8Array): string | null {
  if (report.length !== BOOT_REPORT_LENGTH) return `report of ${report.length} bytes, expected ${BOOT_REPORT_LENGTH}`;
  if ((report[0] & MOD_NON_SHIFT) !== 0) return `modifier byte 0x${report[0].toString(16)} has ctrl/alt/gui set`;
  if (report[1] !== 0) return `reserved byte is 0x${report[1].toString(16)}, expected 0`;
  const keys = report.subarray(2);
  const seen = new Set<number>();
  let ended = false;
  for (const key of keys) {
    if (key === 0) {
      ended = true;
      continue;
    }
    // Boot reports fill slots from the front; a key after an empty slot is not a real report.
    if (ended) return 'key code after an empty slot';
    if (seen.has(key) && key !== KEY_ERROR_ROLLOVER) return `key 0x${key.toString(16)} repeated in one report`;
    if (key === 0x02 || key === 0x03 || key > 0xa4) return `invalid key code 0x${key.toString(16)}`;
    seen.add(key);
  }
  return null;
}
