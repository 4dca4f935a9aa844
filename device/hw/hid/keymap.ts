// HID usage table (keyboard page 0x07) to characters, US layout: keyboard-wedge card and QR
// readers ship configured as a US keyboard. Keys not listed here (F-keys, arrows, Esc, ...) never
// occur inside a code, so the decoder treats them as garbage.

export const KEY_ENTER = 0x28;
export const KEY_KEYPAD_ENTER = 0x58;
/** All six slots set to 0x01 = "phantom state" (too many keys pressed): not a key press. */
export const KEY_ERROR_ROLLOVER = 0x01;

/** [unshifted, shifted] per usage id. */
const KEYS = new Map<number, readonly [string, string]>();

const letters = 'abcdefghijklmnopqrstuvwxyz';
for (let i = 0; i < letters.length; i += 1) KEYS.set(0x04 + i, [letters[i] ?? '', (letters[i] ?? '').toUpperCase()]);

const digits = '1234567890';
const digitsShifted = '!@#$%^&*()';
for (let i = 0; i < digits.length; i += 1) KEYS.set(0x1e + i, [digits[i] ?? '', digitsShifted[i] ?? '']);

const symbols: ReadonlyArray<readonly [number, string, string]> = [
  [0x2b, '\t', '\t'],
  [0x2c, ' ', ' '],
  [0x2d, '-', '_'],
  [0x2e, '=', '+'],
  [0x2f, '[', '{'],
  [0x30, ']', '}'],
  [0x31, '\\', '|'],
  [0x32, '#', '~'],
  [0x33, ';', ':'],
  [0x34, "'", '"'],
  [0x35, '`', '~'],
  [0x36, ',', '<'],
  [0x37, '.', '>'],
  [0x38, '/', '?'],
  // Keypad: some readers type digits on the numeric keypad; shift does not change them.
  [0x54, '/', '/'],
  [0x55, '*', '*'],
  [0x56, '-', '-'],
  [0x57, '+', '+'],
  [0x62, '0', '0'],
  [0x63, '.', '.'],
];
for (const [code, plain, shifted] of symbols) KEYS.set(code, [plain, shifted]);
for (let i = 0; i < 9; i += 1) KEYS.set(0x59 + i, [String(i + 1), String(i + 1)]);

/** Character typed by `usage` with or without shift, or undefined for keys that cannot be in a code. */
export function characterFor(usage: number, shift: boolean): string | undefined {
  const entry = KEYS.get(usage);
  return entry ? entry[shift ? 1 : 0] : undefined;
}

export function isEnter(usage: number): boolean {
  return usage === KEY_ENTER || usage === KEY_KEYPAD_ENTER;
}

/** Modifier byte bits. */
export const MOD_SHIFT = 0x02 | 0x20;
/** Ctrl, Alt, GUI (left and right): a reader never holds them while typing a code. */
export const MOD_NON_SHIFT = 0x01 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80;
