// HD44780 character LCD at the kiosk (16x2 or 20x4) through johnny-five's LCD, parallel 4-bit
// wiring or a PCF8574 I2C backpack. The HD44780 character ROM on most modules (A00) has ASCII and
// Japanese katakana but no Cyrillic, so Kazakh and Russian text is transliterated to plain Latin
// ("Қош келдіңіз, Айгерім" -> "Qosh keldiniz, Aigerim") rather than drawn with the 8 custom
// character slots, which cannot hold the 42 Kazakh letters a name may need.
import type { Board, LCD } from 'johnny-five';
import type { Logger } from 'pino';
import type { TextDisplay } from '../types.js';

const CYRILLIC_TO_LATIN: Record<string, string> = {
  а: 'a', ә: 'a', б: 'b', в: 'v', г: 'g', ғ: 'g', д: 'd', е: 'e', ё: 'yo', ж: 'zh', з: 'z', и: 'i', й: 'i',
  к: 'k', қ: 'q', л: 'l', м: 'm', н: 'n', ң: 'n', о: 'o', ө: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u',
  ұ: 'u', ү: 'u', ф: 'f', х: 'kh', һ: 'h', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', і: 'i',
  ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/** Text the A00 character ROM can show: Kazakh/Russian transliterated, accents stripped, the rest '?'. */
export function toLcdAscii(text: string): string {
  let out = '';
  for (const char of text) {
    const lower = char.toLowerCase();
    const latin = CYRILLIC_TO_LATIN[lower];
    if (latin !== undefined) {
      out += char !== lower && latin.length > 0 ? latin[0].toUpperCase() + latin.slice(1) : latin;
      continue;
    }
    const plain = char.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    // 0x5C is a yen sign and 0x7E/0x7F are arrows in the A00 ROM.
    out += /^[\x20-\x5b\x5d-\x7d]$/.test(plain) ? plain : plain === '\\' || plain === '~' ? '-' : '?';
  }
  return out;
}

/** Exactly `cols` characters: transliterated, cut or padded with spaces (no clear(): no flicker). */
export function fitLine(text: string, cols: number): string {
  return toLcdAscii(text).slice(0, cols).padEnd(cols, ' ');
}

export type LcdController = 'PARALLEL' | 'PCF8574' | 'PCF8574A' | 'PCF8574AT' | 'LCM1602' | 'LCD2004';

export interface LcdDisplayOptions {
  name: string;
  board: Board;
  logger: Logger;
  rows?: number;
  cols?: number;
  /** PARALLEL (default): pins [rs, en, d4, d5, d6, d7]. I2C backpacks need no pins. */
  controller?: LcdController;
  pins?: Array<number | string>;
  /** johnny-five's LCD class; injected by create() so johnny-five loads only when an LCD is configured. */
  LcdClass: typeof LCD;
}

export class LcdDisplay implements TextDisplay {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  #lcd: LCD | null;
  #shown: string[] = [];
  readonly #log: Logger;

  /** Loads johnny-five and builds the LCD on a ready board. */
  static async create(options: Omit<LcdDisplayOptions, 'LcdClass'>): Promise<LcdDisplay> {
    const five = await import('johnny-five');
    const LcdClass = five.LCD ?? (five as unknown as { default: { LCD: typeof LCD } }).default.LCD;
    return new LcdDisplay({ ...options, LcdClass });
  }

  constructor(options: LcdDisplayOptions) {
    this.name = options.name;
    this.rows = options.rows ?? 2;
    this.cols = options.cols ?? 16;
    this.#log = options.logger.child({ ns: 'lcd', display: options.name });
    const controller = options.controller ?? 'PARALLEL';
    const common = { board: options.board, rows: this.rows, cols: this.cols };
    this.#lcd =
      controller === 'PARALLEL'
        ? new options.LcdClass({ ...common, pins: options.pins ?? [7, 8, 9, 10, 11, 12] })
        : new options.LcdClass({ ...common, controller });
  }

  /** The lines as last written (after transliteration and fitting). */
  get shown(): readonly string[] {
    return this.#shown;
  }

  show(lines: string[]): Promise<void> {
    const lcd = this.#lcd;
    if (lcd === null) return Promise.reject(new Error(`LCD ${this.name} is closed`));
    const fitted = Array.from({ length: this.rows }, (_, row) => fitLine(lines[row] ?? '', this.cols));
    try {
      fitted.forEach((line, row) => {
        // Rewrite only the rows that changed: every character is several Firmata messages.
        if (this.#shown[row] !== line) lcd.cursor(row, 0).print(line);
      });
    } catch (error: unknown) {
      this.#log.error({ err: error }, 'LCD write failed');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.#shown = fitted;
    return Promise.resolve();
  }

  close(): Promise<void> {
    try {
      this.#lcd?.clear();
    } catch (error: unknown) {
      this.#log.warn({ err: error }, 'LCD clear on close failed');
    }
    this.#lcd = null;
    return Promise.resolve();
  }
}

/** The simulated twin of the LCD and the LED matrix: records every set of lines it was shown. */
export class RecordingTextDisplay implements TextDisplay {
  readonly history: string[][] = [];
  #closed = false;

  constructor(readonly name: string) {}

  get lines(): readonly string[] {
    return this.history.at(-1) ?? [];
  }

  show(lines: string[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`display ${this.name} is closed`));
    this.history.push([...lines]);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
