// MAX7219 8x8 LED matrices (a chain of `devices` modules, as on the common FC-16 boards) through
// johnny-five's Led.Matrix, in the lobby: the first line (the arrival count) stands still, the
// second (the last masked name) scrolls across once and then the count comes back.
//
// johnny-five drives a MAX7219 over Firmata by bit-banging (three digitalWrite messages per bit),
// so every row write is costly on the serial line: frames are diffed and only changed rows are sent,
// and the scroll step is slow by default. The font is johnny-five's 8x8 ASCII set, so text goes
// through the same transliteration as the LCD.
import type { Board, Led } from 'johnny-five';
import type { Logger } from 'pino';
import type { TextDisplay } from '../types.js';
import { toLcdAscii } from './lcd.js';

type MatrixClass = typeof Led.Matrix;
type Font = Record<string, number[] | undefined>;

export interface MatrixDisplayOptions {
  name: string;
  board: Board;
  logger: Logger;
  pins: { data: number | string; clock: number | string; cs: number | string };
  /** Chained 8x8 modules, left to right as device 0, 1, ... */
  devices?: number;
  /** Milliseconds per one-column scroll step. */
  stepMs?: number;
  brightness?: number;
  /** johnny-five's Led.Matrix; injected by create() so johnny-five loads only when configured. */
  MatrixClass: MatrixClass;
}

/** Columns of lit pixels for `text`, each column an 8-bit mask with bit 0 = top row. */
export function renderColumns(text: string, font: Font): number[] {
  const columns: number[] = [];
  for (const char of toLcdAscii(text)) {
    const glyph = font[char] ?? font['?'] ?? [];
    // Glyphs are 5 columns wide in the low bits of each row byte (bit 4 = leftmost column).
    for (let col = 4; col >= 0; col--) {
      let mask = 0;
      glyph.forEach((rowBits, row) => {
        if ((rowBits >> col) & 1) mask |= 1 << row;
      });
      columns.push(mask);
    }
    columns.push(0);
  }
  return columns;
}

/** The row bytes of each device for a window of columns starting at `offset` (MSB = leftmost). */
export function frameRows(columns: readonly number[], offset: number, devices: number): number[][] {
  return Array.from({ length: devices }, (_, device) =>
    Array.from({ length: 8 }, (_, row) => {
      let byte = 0;
      for (let x = 0; x < 8; x++) {
        const column = columns[offset + device * 8 + x] ?? 0;
        if ((column >> row) & 1) byte |= 0x80 >> x;
      }
      return byte;
    }),
  );
}

export class MatrixDisplay implements TextDisplay {
  readonly name: string;
  readonly devices: number;
  #matrix: InstanceType<MatrixClass> | null;
  readonly #font: Font;
  readonly #stepMs: number;
  readonly #log: Logger;
  #written: number[][];
  #timer: NodeJS.Timeout | null = null;

  static async create(options: Omit<MatrixDisplayOptions, 'MatrixClass'>): Promise<MatrixDisplay> {
    const five = await import('johnny-five');
    const MatrixClass = five.Led?.Matrix ?? (five as unknown as { default: { Led: { Matrix: MatrixClass } } }).default.Led.Matrix;
    return new MatrixDisplay({ ...options, MatrixClass });
  }

  constructor(options: MatrixDisplayOptions) {
    this.name = options.name;
    this.devices = options.devices ?? 4;
    this.#stepMs = options.stepMs ?? 80;
    this.#log = options.logger.child({ ns: 'matrix', display: options.name });
    const matrix = new options.MatrixClass({ board: options.board, pins: options.pins, devices: this.devices });
    matrix.on();
    matrix.brightness(options.brightness ?? 40);
    matrix.clear();
    this.#matrix = matrix;
    this.#font = (options.MatrixClass as unknown as { CHARS: Font }).CHARS;
    this.#written = Array.from({ length: this.devices }, () => new Array<number>(8).fill(0));
  }

  /** Rows as last written per device (what the LEDs show). */
  get rows(): readonly (readonly number[])[] {
    return this.#written;
  }

  /** lines[0] stays (right-aligned); lines[1], if any, scrolls across first. */
  show(lines: string[]): Promise<void> {
    if (this.#matrix === null) return Promise.reject(new Error(`matrix ${this.name} is closed`));
    this.stopScroll();
    const still = renderColumns(lines[0] ?? '', this.#font);
    const stillColumns = [...new Array<number>(Math.max(0, this.devices * 8 - still.length)).fill(0), ...still];
    const scrolling = (lines[1] ?? '').trim();
    try {
      if (scrolling === '') {
        this.draw(stillColumns, 0);
        return Promise.resolve();
      }
      const blank = new Array<number>(this.devices * 8).fill(0);
      const columns = [...blank, ...renderColumns(scrolling, this.#font), ...blank];
      let offset = 0;
      this.draw(columns, offset);
      this.#timer = setInterval(() => {
        offset += 1;
        if (offset > columns.length - this.devices * 8) {
          this.stopScroll();
          this.safeDraw(stillColumns, 0);
        } else {
          this.safeDraw(columns, offset);
        }
      }, this.#stepMs);
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.stopScroll();
    try {
      this.#matrix?.clear();
    } catch (error: unknown) {
      this.#log.warn({ err: error }, 'matrix clear on close failed');
    }
    this.#matrix = null;
    return Promise.resolve();
  }

  private stopScroll(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  private safeDraw(columns: readonly number[], offset: number): void {
    try {
      this.draw(columns, offset);
    } catch (error: unknown) {
      this.stopScroll();
      this.#log.error({ err: error }, 'matrix write failed; scrolling stopped');
    }
  }

  private draw(columns: readonly number[], offset: number): void {
    const matrix = this.#matrix;
    if (matrix === null) return;
    frameRows(columns, offset, this.devices).forEach((rows, device) => {
      rows.forEach((value, row) => {
        if (this.#written[device][row] === value) return;
        matrix.row(device, row, value);
        this.#written[device][row] = value;
      });
    });
  }
}
