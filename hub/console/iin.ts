// The Kazakh individual identification number (ИИН/ЖСН): 12 digits, YYMMDD of birth, then a digit
// for century and sex (1/2: 1800s, 3/4: 1900s, 5/6: 2000s; odd male, even female), four of
// registration serial, and a check digit. The check is a weighted sum mod 11 with weights 1..11; a
// result of 10 is recomputed with weights 3..11,1,2, and a second 10 means no valid number exists
// for those eleven digits. Pure: the import and the person form both call it.

export type IinProblem = 'iin_format' | 'iin_century' | 'iin_date' | 'iin_checksum';

export type IinResult =
  | { ok: true; iin: string; birthDate: string; sex: 'male' | 'female' }
  | { ok: false; problem: IinProblem };

const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
const CENTURIES: Record<string, number> = { '1': 1800, '2': 1800, '3': 1900, '4': 1900, '5': 2000, '6': 2000 };

function weighted(digits: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (digits[i] ?? 0) * (weights[i] ?? 0);
  return sum % 11;
}

/** The check digit for the first eleven digits, or null when both passes give 10 (no valid ИИН). */
export function iinCheckDigit(first11: string): number | null {
  if (!/^\d{11}$/.test(first11)) throw new Error('iinCheckDigit needs 11 digits');
  const digits = [...first11].map(Number);
  const first = weighted(digits, FIRST_WEIGHTS);
  if (first !== 10) return first;
  const second = weighted(digits, SECOND_WEIGHTS);
  return second === 10 ? null : second;
}

/** YYYY-MM-DD when year, month and day make a real calendar date (29 February only in leap years). */
export function realDate(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

export function parseIin(input: string): IinResult {
  const iin = input.trim();
  if (!/^\d{12}$/.test(iin)) return { ok: false, problem: 'iin_format' };
  const centuryDigit = iin.charAt(6);
  const century = CENTURIES[centuryDigit];
  if (century === undefined) return { ok: false, problem: 'iin_century' };
  const birthDate = realDate(century + Number(iin.slice(0, 2)), Number(iin.slice(2, 4)), Number(iin.slice(4, 6)));
  if (birthDate === null) return { ok: false, problem: 'iin_date' };
  if (iinCheckDigit(iin.slice(0, 11)) !== Number(iin.charAt(11))) return { ok: false, problem: 'iin_checksum' };
  return { ok: true, iin, birthDate, sex: Number(centuryDigit) % 2 === 1 ? 'male' : 'female' };
}

/**
 * A valid ИИН for a birth date, sex and serial (0..9999), or null when that serial has no check
 * digit. For tests, fixtures and the bench: real numbers are issued by the state, never made here.
 */
export function makeIin(birthDate: string, sex: 'male' | 'female', serial: number): string | null {
  const [year, month, day] = birthDate.split('-').map(Number) as [number, number, number];
  const centuryBase = Math.floor(year / 100) * 100;
  const centuryDigit = { 1800: 1, 1900: 3, 2000: 5 }[centuryBase];
  if (centuryDigit === undefined || realDate(year, month, day) === null) throw new Error(`no ИИН century for ${birthDate}`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const first11 = `${two(year % 100)}${two(month)}${two(day)}${centuryDigit + (sex === 'female' ? 1 : 0)}${String(serial).padStart(4, '0')}`;
  const check = iinCheckDigit(first11);
  return check === null ? null : `${first11}${check}`;
}
