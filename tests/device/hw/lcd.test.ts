// The HD44780 LCD driver against mock-firmata as johnny-five's io: every digitalWrite is recorded
// and decoded back into what an HD44780 would show (4-bit nibbles latched on EN falling edges,
// RS selecting data or command, a DDRAM emulation), so the test asserts what the glass shows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import five from 'johnny-five';
import mockFirmata from 'mock-firmata';
import pino from 'pino';
import { LcdDisplay, RecordingTextDisplay, fitLine, toLcdAscii } from '../../../device/hw/firmata/lcd.js';
import { greetingLines } from '../../../device/greeting.js';

const PINS = { rs: 7, en: 8, d4: 9, d5: 10, d6: 11, d7: 12 };
const logger = pino({ level: 'silent' });

interface Wire {
  board: five.Board;
  writes: Array<[number, number]>;
  /** Bytes written to I2C address 0x27 (a PCF8574 backpack), in order. */
  i2c: number[];
}

/** The part of mock-firmata's io the tests touch: pin writes are recorded at this transport. */
interface MockIo {
  digitalWrite(pin: number, value: number): void;
  i2cWrite(address: number, ...rest: unknown[]): void;
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
  const i2c: number[] = [];
  const originalI2c = io.i2cWrite.bind(io);
  io.i2cWrite = (address: number, ...rest: unknown[]) => {
    const bytes = rest.at(-1);
    if (address === 0x27) i2c.push(...(Array.isArray(bytes) ? (bytes as number[]) : [bytes as number]));
    originalI2c(address, ...rest);
  };
  const board = new five.Board({ io, repl: false, debug: false });
  const ready = new Promise<void>((resolve) => board.on('ready', () => resolve()));
  io.emit('connect');
  io.emit('ready');
  await ready;
  return { board, writes, i2c };
}

/** Replays recorded pin writes through an HD44780 model and returns its two visible rows. */
function decodeScreen(writes: ReadonlyArray<[number, number]>, cols = 16): string[] {
  return decode(writes, cols).rows;
}

function decode(writes: ReadonlyArray<[number, number]>, cols = 16): { rows: string[]; commands: number[] } {
  const level = new Map<number, number>();
  const nibbles: Array<{ rs: number; value: number }> = [];
  for (const [pin, value] of writes) {
    const before = level.get(pin) ?? 0;
    level.set(pin, value);
    if (pin === PINS.en && before === 1 && value === 0) {
      const bit = (p: number): number => level.get(p) ?? 0;
      nibbles.push({ rs: bit(PINS.rs), value: (bit(PINS.d7) << 3) | (bit(PINS.d6) << 2) | (bit(PINS.d5) << 1) | bit(PINS.d4) });
    }
  }
  const ddram = new Array<number>(0x68).fill(0x20);
  let address = 0;
  const commands: number[] = [];
  for (let i = 0; i + 1 < nibbles.length; i += 2) {
    const byte = (nibbles[i].value << 4) | nibbles[i + 1].value;
    if (nibbles[i].rs === 1) {
      ddram[address] = byte;
      address = (address + 1) % ddram.length;
      continue;
    }
    commands.push(byte);
    if (byte & 0x80) address = byte & 0x7f;
    else if (byte === 0x01) {
      ddram.fill(0x20);
      address = 0;
    } else if ((byte & 0xfe) === 0x02) address = 0;
  }
  const row = (start: number): string => String.fromCharCode(...ddram.slice(start, start + cols));
  return { rows: [row(0x00), row(0x40)], commands };
}

/** PCF8574 byte stream (bit 0 RS, bit 2 EN, bits 4-7 D4-D7) as the equivalent parallel pin writes. */
function i2cAsPinWrites(bytes: readonly number[]): Array<[number, number]> {
  return bytes.flatMap((byte): Array<[number, number]> => [
    [PINS.rs, byte & 0x01],
    [PINS.d4, (byte >> 4) & 1],
    [PINS.d5, (byte >> 5) & 1],
    [PINS.d6, (byte >> 6) & 1],
    [PINS.d7, (byte >> 7) & 1],
    [PINS.en, (byte >> 2) & 1],
  ]);
}

describe('toLcdAscii', () => {
  it('transliterates Kazakh and Russian letters the A00 ROM lacks', () => {
    expect(toLcdAscii('Қош келдіңіз, Айгерім')).toBe('Qosh keldiniz, Aigerim');
    expect(toLcdAscii('ӘҒҚҢӨҰҮҺІ әғқңөұүһі')).toBe('AGQNOUUHI agqnouuhi');
    expect(toLcdAscii('Добро пожаловать, Щукин')).toBe('Dobro pozhalovat, Shchukin');
    expect(toLcdAscii('Zoë ~ \\ 😀')).toBe('Zoe - - ?');
  });

  it('fits a line to the width exactly', () => {
    expect(fitLine('Welcome', 10)).toBe('Welcome   ');
    expect(fitLine('Сау болыңыз, Айгерім', 16)).toBe('Sau bolynyz, Aig');
  });
});

describe('LcdDisplay on a mock Firmata board (parallel 4-bit)', () => {
  let wire: Wire;
  let lcd: LcdDisplay;

  beforeEach(async () => {
    wire = await readyBoard();
    lcd = new LcdDisplay({ name: 'kiosk', board: wire.board, logger, pins: Object.values(PINS), LcdClass: five.LCD });
  });

  afterEach(async () => {
    await lcd.close();
  });

  it('shows the Kazakh greeting transliterated, as the HD44780 latches it', async () => {
    await lcd.show(greetingLines({ outcome: 'grant', reason: null, direction: 'in', person: { name: 'Айгерім Сейтқали', displayConsent: 'short' } }, 'kk'));
    expect(decodeScreen(wire.writes)).toEqual(['Qosh keldiniz,  ', 'Aigerim         ']);
    expect(lcd.shown).toEqual(['Qosh keldiniz,  ', 'Aigerim         ']);
  });

  it('shows a deny reason in English and overwrites the previous text without clearing', async () => {
    await lcd.show(['Welcome,', 'Aigerim']);
    const before = wire.writes.length;
    await lcd.show(['Access denied', 'Blocked']);
    expect(decodeScreen(wire.writes)).toEqual(['Access denied   ', 'Blocked         ']);
    // No clear command (0x01) was sent for the second text: rows are rewritten in place.
    expect(decode(wire.writes.slice(before)).commands).toEqual([0x80, 0xc0]);
  });

  it('does not touch the wire when the text is unchanged', async () => {
    await lcd.show(['Welcome,', 'Aigerim']);
    const before = wire.writes.length;
    await lcd.show(['Welcome,', 'Aigerim']);
    expect(wire.writes.length).toBe(before);
  });

  it('rejects writes after close instead of throwing', async () => {
    await lcd.close();
    await expect(lcd.show(['x'])).rejects.toThrow(/closed/);
  });
});

describe('LcdDisplay on an I2C backpack (PCF8574 at 0x27)', () => {
  it('shows the Russian deny reason transliterated, as the expander latches it', async () => {
    const wire = await readyBoard();
    const lcd = new LcdDisplay({ name: 'kiosk', board: wire.board, logger, controller: 'PCF8574', LcdClass: five.LCD });
    await lcd.show(greetingLines({ outcome: 'deny', reason: 'outside_schedule', direction: 'in', person: null }, 'ru'));
    expect(decodeScreen(i2cAsPinWrites(wire.i2c))).toEqual(['Prokhod zapreshc', 'Vne raspisaniya ']);
    await lcd.close();
  });
});

describe('RecordingTextDisplay (the simulated twin)', () => {
  it('records every set of lines', async () => {
    const twin = new RecordingTextDisplay('sim-lcd');
    await twin.show(['Қош келдіңіз,', 'Айгерім']);
    await twin.show(['Кіруге болмайды', 'Бұғатталған']);
    expect(twin.history).toEqual([['Қош келдіңіз,', 'Айгерім'], ['Кіруге болмайды', 'Бұғатталған']]);
    expect(twin.lines).toEqual(['Кіруге болмайды', 'Бұғатталған']);
  });
});
