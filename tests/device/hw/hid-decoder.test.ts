import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyboardReportDecoder, validateReport, type DecoderOutput } from '../../../device/hw/hid/keyboard-decoder.js';
import { normaliseCardUid } from '../../../device/hw/hid/wedge-reader.js';

interface HidFixture {
  description: string;
  reader: { kind: 'card' | 'qr'; uidFormat: 'hex' | 'decimal' };
  reports: Array<{ t: number; hex: string }>;
  expected: string[];
  minWarnings: number;
}

const fixtureDir = resolve(import.meta.dirname, '../../../fixtures/hid');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, data: JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as HidFixture }));

function decodeAll(decoder: KeyboardReportDecoder, reports: Array<{ t: number; hex: string }>): DecoderOutput[] {
  return reports.flatMap((r) => decoder.push(Buffer.from(r.hex, 'hex'), r.t));
}

const report = (mod: number, ...keys: number[]): Buffer => Buffer.from([mod, 0, ...keys, ...Array<number>(6 - keys.length).fill(0)]);

describe('HID boot-keyboard decoding from recorded reports', () => {
  it('has fixtures to test', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
  });

  it.each(fixtures)('$file', ({ data }) => {
    const decoder = new KeyboardReportDecoder({ maxLength: 256, interCharTimeoutMs: 250 });
    const out = decodeAll(decoder, data.reports);
    const lines = out.filter((o) => o.type === 'line').map((o) => o.value);
    const values = data.reader.kind === 'card' ? lines.map((l) => normaliseCardUid(l, data.reader.uidFormat)) : lines;
    expect(values).toEqual(data.expected);
    expect(out.filter((o) => o.type === 'warning').length).toBeGreaterThanOrEqual(data.minWarnings);
    if (data.minWarnings === 0) expect(out.filter((o) => o.type === 'warning')).toEqual([]);
  });
});

describe('KeyboardReportDecoder rules', () => {
  const enter = [report(0, 0x28), report(0)];

  it('drops a partial code when the next character is late, then reads the next code', () => {
    const decoder = new KeyboardReportDecoder({ maxLength: 256, interCharTimeoutMs: 100 });
    const out = [
      ...decoder.push(report(0, 0x1e), 0),
      ...decoder.push(report(0), 5),
      ...decoder.push(report(0, 0x1f), 500),
      ...decoder.push(report(0), 505),
      ...decoder.push(enter[0], 510),
      ...decoder.push(enter[1], 515),
    ];
    expect(out).toEqual([
      { type: 'warning', message: expect.stringContaining('partial code of 1 characters dropped') },
      { type: 'line', value: '2' },
    ]);
  });

  it('expire() drops a stale partial without further reports', () => {
    const decoder = new KeyboardReportDecoder({ maxLength: 256, interCharTimeoutMs: 100 });
    decoder.push(report(0, 0x1e), 0);
    expect(decoder.hasPartial()).toBe(true);
    expect(decoder.expire(50)).toEqual([]);
    expect(decoder.expire(200)).toHaveLength(1);
    expect(decoder.hasPartial()).toBe(false);
  });

  it('drops an overlong line up to its Enter, then reads the next one', () => {
    const decoder = new KeyboardReportDecoder({ maxLength: 8, interCharTimeoutMs: 1000 });
    const out: DecoderOutput[] = [];
    let t = 0;
    for (let i = 0; i < 20; i += 1) out.push(...decoder.push(report(0, 0x04 + (i % 2)), t++), ...decoder.push(report(0), t++));
    out.push(...decoder.push(enter[0], t++), ...decoder.push(enter[1], t++));
    out.push(...decoder.push(report(0, 0x1e), t++), ...decoder.push(report(0), t++), ...decoder.push(enter[0], t));
    expect(out.filter((o) => o.type === 'line')).toEqual([{ type: 'line', value: '1' }]);
    expect(out.filter((o) => o.type === 'warning')).toHaveLength(1);
  });

  it('accepts a line of exactly maxLength', () => {
    const decoder = new KeyboardReportDecoder({ maxLength: 3, interCharTimeoutMs: 1000 });
    const out = [0x1e, 0x1f, 0x20].flatMap((k, i) => [...decoder.push(report(0, k), i * 2), ...decoder.push(report(0), i * 2 + 1)]);
    out.push(...decoder.push(enter[0], 10));
    expect(out).toEqual([{ type: 'line', value: '123' }]);
  });

  it('an empty line (Enter alone) is no presentation', () => {
    const decoder = new KeyboardReportDecoder({ maxLength: 256, interCharTimeoutMs: 100 });
    expect([...decoder.push(enter[0], 0), ...decoder.push(enter[1], 1)]).toEqual([]);
  });

  it('validateReport names what is wrong', () => {
    expect(validateReport(report(0, 0x04))).toBeNull();
    expect(validateReport(Buffer.alloc(7))).toMatch(/7 bytes/u);
    expect(validateReport(report(0x04, 0x04))).toMatch(/ctrl\/alt\/gui/u);
    expect(validateReport(report(0, 0x04, 0x04))).toMatch(/repeated/u);
    expect(validateReport(report(0, 0xe1))).toMatch(/invalid key code/u);
  });

  it('random bytes never throw and never produce a line without an Enter key code in them', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 12 }), { maxLength: 60 }), (reports) => {
        const decoder = new KeyboardReportDecoder({ maxLength: 256, interCharTimeoutMs: 250 });
        const out = reports.flatMap((r, i) => decoder.push(r, i));
        const sawEnter = reports.some((r) => r.length === 8 && [...r.subarray(2)].some((k) => k === 0x28 || k === 0x58));
        if (!sawEnter) expect(out.filter((o) => o.type === 'line')).toEqual([]);
        for (const o of out) if (o.type === 'line') expect(o.value.length).toBeLessThanOrEqual(256);
      }),
      { numRuns: 500 },
    );
  });

  it('random well-formed typing round-trips', () => {
    const keyChars = 'abcdefghijklmnopqrstuvwxyz1234567890';
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...keyChars.split('')), minLength: 1, maxLength: 64 }), (text) => {
        const decoder = new KeyboardReportDecoder({ maxLength: 256, interCharTimeoutMs: 250 });
        const out: DecoderOutput[] = [];
        let t = 0;
        for (const ch of text) {
          const i = keyChars.indexOf(ch);
          out.push(...decoder.push(report(0, i < 26 ? 0x04 + i : 0x1e + i - 26), t++), ...decoder.push(report(0), t++));
        }
        out.push(...decoder.push(enter[0], t));
        expect(out).toEqual([{ type: 'line', value: text }]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('normaliseCardUid', () => {
  it.each([
    ['04a2b91c', 'hex', '04A2B91C'],
    ['0x04A2B91C', 'hex', '04A2B91C'],
    ['04A2 B91C', 'hex', null],
    ['0077773084', 'decimal', '04A2B91C'],
    ['255', 'decimal', '000000FF'],
    ['12a', 'decimal', null],
  ] as const)('%s (%s) -> %s', (input, format, expected) => {
    expect(normaliseCardUid(input, format)).toBe(expected);
  });
});
