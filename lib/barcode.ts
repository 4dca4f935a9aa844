// Book barcodes: EAN-13 (ISBN-13 is EAN-13 under the 978/979 "Bookland" prefixes), ISBN-10, and a
// copy's own label. Shared by the library desk (what a scanner typed) and the hub (catalogue CSV),
// so a check digit the desk refuses is one the import refuses too.

export type BarcodeKind = 'isbn13' | 'ean13' | 'isbn10' | 'copy';

export interface Barcode {
  kind: BarcodeKind;
  /** Digits only for ISBN/EAN (an ISBN-10's final X upper-case); a copy label as typed. */
  value: string;
}

/** Stable codes for a string that is no barcode we accept. */
export type BarcodeProblem = 'empty' | 'bad_check_digit' | 'bad_characters' | 'bad_length';

export type BarcodeResult = { ok: true; barcode: Barcode } | { ok: false; problem: BarcodeProblem; detail: string };

/** A copy label: the same safe alphabet as every id on the wire, at least 3 characters. */
const COPY_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$/;

export function ean13CheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i += 1) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** The ISBN-10 check character for nine digits: 0-9 or X (10). */
export function isbn10CheckChar(first9: string): string {
  let sum = 0;
  for (let i = 0; i < 9; i += 1) sum += Number(first9[i]) * (10 - i);
  const check = (11 - (sum % 11)) % 11;
  return check === 10 ? 'X' : String(check);
}

export function isValidEan13(digits: string): boolean {
  return /^\d{13}$/.test(digits) && ean13CheckDigit(digits) === Number(digits[12]);
}

export function isValidIsbn10(text: string): boolean {
  return /^\d{9}[\dX]$/.test(text) && isbn10CheckChar(text) === text[9];
}

/** The ISBN-13 of an ISBN-10 (978 prefix): one catalogue key whichever form a book carries. */
export function isbn10To13(isbn10: string): string {
  const first12 = `978${isbn10.slice(0, 9)}`;
  return `${first12}${ean13CheckDigit(first12)}`;
}

function fail(problem: BarcodeProblem, detail: string): BarcodeResult {
  return { ok: false, problem, detail };
}

function numeric(text: string): BarcodeResult {
  if (text.length === 13) {
    if (!isValidEan13(text)) return fail('bad_check_digit', `EAN-13 ${text}: check digit should be ${ean13CheckDigit(text)}`);
    return { ok: true, barcode: { kind: /^97[89]/.test(text) ? 'isbn13' : 'ean13', value: text } };
  }
  if (!isValidIsbn10(text)) return fail('bad_check_digit', `ISBN-10 ${text}: check character should be ${isbn10CheckChar(text)}`);
  return { ok: true, barcode: { kind: 'isbn10', value: text } };
}

/**
 * What a scanned or typed barcode is. Hyphens and spaces are dropped from ISBNs (printed
 * "978-601-..."); 13 digits must be a valid EAN-13, ten characters of digits (and a final X) a
 * valid ISBN-10, 12 digits a valid UPC-A. An 18-digit scan is an EAN-13 with a 5-digit price add-on, which is ignored.
 * Anything else in the safe alphabet is a copy's own label.
 */
export function parseBarcode(input: string): BarcodeResult {
  const text = input.trim();
  if (text.length === 0) return fail('empty', 'empty barcode');
  const compact = text.replace(/[-\s]/g, '').toUpperCase();
  if (/^\d{13}$/.test(compact) || /^\d{9}[\dX]$/.test(compact)) return numeric(compact);
  if (/^\d{18}$/.test(compact)) return numeric(compact.slice(0, 13));
  // UPC-A (12 digits, American paperbacks) is an EAN-13 with a leading 0.
  if (/^\d{12}$/.test(compact)) return numeric(`0${compact}`);
  // 14 to 17 digits is a misread or a GTIN-14 carton code, never a copy label a school prints.
  if (/^\d{14,17}$/.test(compact)) return fail('bad_length', `${compact.length} digits: not an EAN-13 or ISBN`);
  if (!COPY_LABEL.test(text)) {
    return text.length > 64 || text.length < 3 ? fail('bad_length', `${text.length} characters`) : fail('bad_characters', 'characters outside A-Z a-z 0-9 . _ : -');
  }
  return { ok: true, barcode: { kind: 'copy', value: text } };
}
