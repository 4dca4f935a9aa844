// A book scanner's HID reports, recorded as byte sequences (fixtures/library-scans), decoded into
// barcodes or refused with a stable reason; and the check digits behind it (lib/barcode.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BookScanDecoder, type BookScanOutput } from '../../../device/hw/index.js';
import { ean13CheckDigit, isbn10CheckChar, isbn10To13, parseBarcode } from '../../../lib/index.js';

interface ScanFixture {
  description: string;
  reports: Array<{ t: number; hex: string }>;
  expected: Array<{ type: 'scan'; kind: string; value: string } | { type: 'refused'; reason: string }>;
}

const dir = resolve(import.meta.dirname, '../../../fixtures/library-scans');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, data: JSON.parse(readFileSync(join(dir, file), 'utf8')) as ScanFixture }));

function simplify(output: BookScanOutput): ScanFixture['expected'][number] {
  return output.type === 'scan' ? { type: 'scan', ...output.barcode } : { type: 'refused', reason: output.reason };
}

describe('book scanner reports', () => {
  it('has recorded scans, good and garbage', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
    expect(fixtures.some((f) => f.data.expected.some((e) => e.type === 'refused'))).toBe(true);
  });

  it.each(fixtures)('$file', ({ data }) => {
    const decoder = new BookScanDecoder();
    const out = data.reports.flatMap((r) => decoder.push(Buffer.from(r.hex, 'hex'), r.t));
    expect(out.map(simplify)).toEqual(data.expected);
  });

  it('drops a scan that stops half-way when the timer fires, with no further report', () => {
    const decoder = new BookScanDecoder({ maxLength: 64, interCharTimeoutMs: 100 });
    decoder.push(Buffer.from([0, 0, 0x26, 0, 0, 0, 0, 0]), 0); // "9"
    expect(decoder.hasPartial()).toBe(true);
    expect(decoder.expire(50)).toEqual([]);
    expect(decoder.expire(150).map(simplify)).toEqual([{ type: 'refused', reason: 'partial_scan' }]);
    expect(decoder.hasPartial()).toBe(false);
  });

  it('never throws and never yields a barcode with a bad check digit, whatever the reports', () => {
    const report = fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 12 }), fc.tuple(fc.constantFrom(0, 2, 0x20), fc.array(fc.integer({ min: 0, max: 0x62 }), { maxLength: 6 })).map(([mod, keys]) => Uint8Array.from([mod, 0, ...keys, ...Array<number>(6 - keys.length).fill(0)])));
    fc.assert(
      fc.property(fc.array(report, { maxLength: 80 }), (reports) => {
        const decoder = new BookScanDecoder();
        const out = reports.flatMap((r, i) => decoder.push(r, i * 3));
        for (const o of out) {
          if (o.type !== 'scan') continue;
          if (o.barcode.kind === 'isbn13' || o.barcode.kind === 'ean13') expect(ean13CheckDigit(o.barcode.value)).toBe(Number(o.barcode.value[12]));
          if (o.barcode.kind === 'isbn10') expect(isbn10CheckChar(o.barcode.value)).toBe(o.barcode.value[9]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('barcode check digits', () => {
  it('knows published ISBNs in both forms', () => {
    expect(parseBarcode('978-0-306-40615-7')).toEqual({ ok: true, barcode: { kind: 'isbn13', value: '9780306406157' } });
    expect(parseBarcode('0-306-40615-2')).toEqual({ ok: true, barcode: { kind: 'isbn10', value: '0306406152' } });
    expect(parseBarcode('0-8044-2957-x')).toEqual({ ok: true, barcode: { kind: 'isbn10', value: '080442957X' } });
    expect(isbn10To13('0306406152')).toBe('9780306406157');
  });

  it('refuses one wrong digit and every swap of two different neighbours (what EAN check digits catch)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^97[89]\d{9}$/), fc.integer({ min: 0, max: 11 }), (first12, at) => {
        const good = `${first12}${ean13CheckDigit(first12)}`;
        expect(parseBarcode(good).ok).toBe(true);
        const wrong = `${good.slice(0, at)}${(Number(good[at]) + 1) % 10}${good.slice(at + 1)}`;
        expect(parseBarcode(wrong)).toMatchObject({ ok: false, problem: 'bad_check_digit' });
        const a = Number(good[at]);
        const b = Number(good[at + 1]);
        // Weights 1 and 3 differ by 2: a swap is caught unless the digits differ by 5.
        if (a !== b && Math.abs(a - b) !== 5) {
          const swapped = `${good.slice(0, at)}${good[at + 1]}${good[at]}${good.slice(at + 2)}`;
          expect(parseBarcode(swapped).ok).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('classifies UPC-A, refuses 14 digits, odd characters and empty scans, accepts copy labels', () => {
    expect(parseBarcode('036000291452')).toEqual({ ok: true, barcode: { kind: 'ean13', value: '0036000291452' } });
    expect(parseBarcode('12345678901234')).toMatchObject({ ok: false, problem: 'bad_length' });
    expect(parseBarcode('LIB 0042/1')).toMatchObject({ ok: false, problem: 'bad_characters' });
    expect(parseBarcode('  ')).toMatchObject({ ok: false, problem: 'empty' });
    expect(parseBarcode('x'.repeat(65))).toMatchObject({ ok: false, problem: 'bad_length' });
    expect(parseBarcode('00042117')).toEqual({ ok: true, barcode: { kind: 'copy', value: '00042117' } });
  });
});
