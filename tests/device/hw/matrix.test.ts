// The MAX7219 LED matrix driver against mock-firmata as johnny-five's io: the bit-banged SPI
// (digitalWrite on data, clock and chip-select) is decoded back into MAX7219 register writes and
// replayed into a model of the chained chips, so the test asserts which LEDs are lit.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import five from 'johnny-five';
import mockFirmata from 'mock-firmata';
import pino from 'pino';
import { MatrixDisplay, renderColumns } from '../../../device/hw/firmata/matrix.js';

const PINS = { data: 2, clock: 3, cs: 4 };
const DEVICES = 2;
const logger = pino({ level: 'silent' });
const FONT = (five.Led.Matrix as unknown as { CHARS: Record<string, number[]> }).CHARS;

interface Wire {
  board: five.Board;
  writes: Array<[number, number]>;
}

/** The part of mock-firmata's io the tests touch: pin writes are recorded at this transport. */
interface MockIo {
  digitalWrite(pin: number, value: number): void;
  emit(event: string): boolean;
}

async function readyBoard(): Promise<Wire> {
  const MockFirmata = (mockFirmata as unknown as { Firmata: new () => MockIo }).Firmata;
  const io = new MockFirmata();
  const writes: Array<[number, number]> = [];
  const original = io.digitalWrite.bind(io);
  io.digitalWrite = (pin: number, value: number) => {
    writes.push([pin, value]);
    original(pin, value);
  };
  const board = new five.Board({ io, repl: false, debug: false });
  const ready = new Promise<void>((resolve) => board.on('ready', () => resolve()));
  io.emit('connect');
  io.emit('ready');
  await ready;
  return { board, writes };
}

/** SPI frames (bytes between CS low and CS high, sampled on clock rising edges) -> register writes. */
function decodeRegisters(writes: ReadonlyArray<[number, number]>): Array<{ device: number; register: number; value: number }> {
  const out: Array<{ device: number; register: number; value: number }> = [];
  let data = 0;
  let clock = 0;
  let bits: number[] | null = null;
  for (const [pin, value] of writes) {
    if (pin === PINS.data) data = value;
    else if (pin === PINS.clock) {
      if (clock === 0 && value === 1 && bits !== null) bits.push(data);
      clock = value;
    } else if (pin === PINS.cs) {
      if (value === 0) bits = [];
      else if (bits !== null) {
        const bytes: number[] = [];
        for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(bits.slice(i, i + 8).reduce((acc, b) => (acc << 1) | b, 0));
        // The first pair shifted in ends up in the last chip of the chain.
        for (let k = 0; k < bytes.length / 2; k++) {
          const register = bytes[2 * k];
          if (register !== 0) out.push({ device: bytes.length / 2 - 1 - k, register, value: bytes[2 * k + 1] });
        }
        bits = null;
      }
    }
  }
  return out;
}

/** What the chips show: one string per row, '#' lit, device 0 leftmost. */
function screen(writes: ReadonlyArray<[number, number]>): string[] {
  const digits = Array.from({ length: DEVICES }, () => new Array<number>(8).fill(0));
  for (const { device, register, value } of decodeRegisters(writes)) {
    if (register >= 1 && register <= 8) digits[device][register - 1] = value;
  }
  return Array.from({ length: 8 }, (_, row) =>
    digits.map((rows) => Array.from({ length: 8 }, (_, x) => ((rows[row] & (0x80 >> x)) !== 0 ? '#' : '.')).join('')).join(''),
  );
}

/** The same text drawn independently from the glyph table: 5 columns + 1 gap per character. */
function expectedScreen(text: string, startColumn: number): string[] {
  return Array.from({ length: 8 }, (_, row) => {
    const line = new Array<string>(DEVICES * 8).fill('.');
    [...text].forEach((char, i) => {
      const bits = FONT[char][row] ?? 0;
      for (let c = 0; c < 5; c++) if (bits & (0x10 >> c)) line[startColumn + i * 6 + c] = '#';
    });
    return line.join('');
  });
}

describe('MatrixDisplay on a mock Firmata board (MAX7219 x2)', () => {
  let wire: Wire;
  let matrix: MatrixDisplay;

  beforeEach(async () => {
    wire = await readyBoard();
    matrix = new MatrixDisplay({ name: 'lobby', board: wire.board, logger, pins: PINS, devices: DEVICES, stepMs: 50, MatrixClass: five.Led.Matrix });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await matrix.close();
  });

  it('initialises the chips (shutdown off, scan limit 7, no decode) over the wire', () => {
    const registers = decodeRegisters(wire.writes);
    for (const device of [0, 1]) {
      expect(registers).toContainEqual({ device, register: 0x0c, value: 1 });
      expect(registers).toContainEqual({ device, register: 0x0b, value: 7 });
      expect(registers).toContainEqual({ device, register: 0x09, value: 0 });
    }
  });

  it('shows the arrival count right-aligned', async () => {
    await matrix.show(['42']);
    // "42" is 12 columns wide including the trailing gap; it ends at the right edge.
    expect(screen(wire.writes)).toEqual(expectedScreen('42', DEVICES * 8 - 12));
  });

  it('sends only the rows that changed', async () => {
    await matrix.show(['42']);
    const before = decodeRegisters(wire.writes).length;
    await matrix.show(['42']);
    expect(decodeRegisters(wire.writes).length).toBe(before);
    await matrix.show(['43']);
    const changed = decodeRegisters(wire.writes).slice(before);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(16);
  });

  it('scrolls the (transliterated) name across, then shows the count again', async () => {
    vi.useFakeTimers();
    await matrix.show(['7', 'Ай']);
    expect(screen(wire.writes).join('')).not.toContain('#');
    // After 16 steps the text has moved one full screen: "Ai" starts at column 0.
    vi.advanceTimersByTime(16 * 50);
    expect(screen(wire.writes)).toEqual(expectedScreen('Ai', 0));
    const total = renderColumns('Ai', FONT).length + 16;
    vi.advanceTimersByTime(total * 50);
    expect(screen(wire.writes)).toEqual(expectedScreen('7', DEVICES * 8 - 6));
  });
});
