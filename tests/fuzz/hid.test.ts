// The keyboard-wedge decoder and the palm report decoder take bytes straight from USB devices:
// whatever arrives, they must not throw, and garbage must never become a presentation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyboardReportDecoder, validateReport } from '../../device/hw/hid/keyboard-decoder.js';
import { characterFor, isEnter, KEY_ENTER } from '../../device/hw/hid/keymap.js';
import { encodePalmReports, PALM_REPORT_LENGTH, PalmFrameDecoder } from '../../device/hw/hid/palm-frame.js';
import { fuzzParams } from './seed.js';

const MAX_LENGTH = 32;
const newDecoder = (): KeyboardReportDecoder => new KeyboardReportDecoder({ maxLength: MAX_LENGTH, interCharTimeoutMs: 100 });

const anyBytes = fc.uint8Array({ minLength: 0, maxLength: 80 });
/** Mostly 8-byte reports (the interesting length), some of other lengths. */
const report = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
  // Plausible reports: no modifiers beyond shift, keys from the alphanumeric/enter range.
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(0, 0x02, 0x20), fc.uniqueArray(fc.integer({ min: 0x04, max: 0x38 }), { maxLength: 3 }))
      .map(([mod, keys]) => Uint8Array.from([mod, 0, ...keys, ...new Array<number>(6 - keys.length).fill(0)])),
  },
  { weight: 2, arbitrary: fc.constant(new Uint8Array(8)) },
  { weight: 1, arbitrary: anyBytes },
);
const timedReports = fc.array(fc.tuple(report, fc.integer({ min: 0, max: 150 })), { maxLength: 60 });

describe('fuzz: HID keyboard-wedge decoder', () => {
  it('never throws on arbitrary bytes, and an invalid report never yields a line', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const decoder = newDecoder();
        const out = decoder.push(bytes, 0);
        if (validateReport(bytes) !== null) expect(out.filter((o) => o.type === 'line')).toEqual([]);
      }),
      fuzzParams,
    );
  });

  it('over report sequences: lines come only from a valid report with a fresh Enter, and are well formed', () => {
    fc.assert(
      fc.property(timedReports, (sequence) => {
        const decoder = newDecoder();
        let now = 0;
        let previousKeys = new Set<number>();
        for (const [bytes, gap] of sequence) {
          now += gap;
          const out = decoder.push(bytes, now);
          decoder.expire(now);
          const lines = out.filter((o) => o.type === 'line');
          const valid = validateReport(bytes) === null;
          const keys = valid ? [...bytes.subarray(2)].filter((k) => k !== 0) : [];
          if (lines.length > 0) {
            expect(valid).toBe(true);
            expect(keys.some((k) => isEnter(k) && !previousKeys.has(k))).toBe(true);
          }
          for (const line of lines) {
            if (line.type !== 'line') continue;
            expect(line.value.length).toBeGreaterThan(0);
            expect(line.value.length).toBeLessThanOrEqual(MAX_LENGTH);
            for (const char of line.value) expect(isPrintableCodeChar(char)).toBe(true);
          }
          previousKeys = valid ? new Set(keys) : new Set();
        }
      }),
      fuzzParams,
    );
  });

  it('garbage interleaved into a typed code drops the code instead of presenting a corrupted one', () => {
    const code = fc.array(fc.integer({ min: 0x04, max: 0x27 }), { minLength: 1, maxLength: 20 });
    const garbage = anyBytes.filter((b) => validateReport(b) !== null);
    fc.assert(
      fc.property(code, fc.nat(), garbage, (keys, cut, bad) => {
        const decoder = newDecoder();
        const at = cut % keys.length;
        const reports: Uint8Array[] = [];
        keys.forEach((key, index) => {
          if (index === at) reports.push(bad);
          reports.push(Uint8Array.from([0, 0, key, 0, 0, 0, 0, 0]), new Uint8Array(8));
        });
        reports.push(Uint8Array.from([0, 0, KEY_ENTER, 0, 0, 0, 0, 0]));
        const lines = reports.flatMap((r, i) => decoder.push(r, i)).filter((o) => o.type === 'line');
        const typedAfter = keys.slice(at).map((k) => characterFor(k, false)).join('');
        // Only what was typed after the garbage report can come out, never a splice across it.
        expect(lines.map((l) => (l.type === 'line' ? l.value : ''))).toEqual([typedAfter]);
      }),
      fuzzParams,
    );
  });
});

function isPrintableCodeChar(char: string): boolean {
  for (let usage = 0x04; usage <= 0xa4; usage += 1) {
    if (characterFor(usage, false) === char || characterFor(usage, true) === char) return true;
  }
  return false;
}

describe('fuzz: palm report decoder', () => {
  const reports = fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ minLength: PALM_REPORT_LENGTH, maxLength: PALM_REPORT_LENGTH }) },
      // A frame start with the right magic and version, so the chunk path is reached.
      {
        weight: 2,
        arbitrary: fc.uint8Array({ minLength: PALM_REPORT_LENGTH, maxLength: PALM_REPORT_LENGTH }).map((r) => {
          const copy = Uint8Array.from(r);
          copy.set([0, 0x50, 0x56, 1, 0, copy[5] ?? 0, (copy[6] ?? 0) & 0x07], 0);
          return copy;
        }),
      },
      { weight: 1, arbitrary: anyBytes },
    ),
    { maxLength: 40 },
  );

  it('arbitrary report sequences never throw and never produce a vector', () => {
    fc.assert(
      fc.property(reports, (sequence) => {
        const decoder = new PalmFrameDecoder();
        for (const r of sequence) {
          // A random frame passing a CRC-16 is a 1 in 65536 event per frame; a vector from
          // this fuzz would mean the CRC or length checks are not applied.
          expect(decoder.push(r).filter((o) => o.type === 'vector')).toEqual([]);
        }
      }),
      fuzzParams,
    );
  });

  it('a valid frame with one corrupted byte gives a warning or the exact original vector, never a different one', () => {
    const vector = fc.float32Array({ minLength: 1, maxLength: 64, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(vector, fc.integer({ min: 0, max: 100 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (v, quality, where, flip) => {
        const encoded = encodePalmReports(v, quality);
        const target = where % (encoded.length * PALM_REPORT_LENGTH);
        const corrupted = encoded.map((r) => Buffer.from(r));
        const report = corrupted[Math.floor(target / PALM_REPORT_LENGTH)];
        report[target % PALM_REPORT_LENGTH] ^= flip;
        const decoder = new PalmFrameDecoder();
        const vectors = corrupted.flatMap((r) => decoder.push(r)).filter((o) => o.type === 'vector');
        for (const out of vectors) {
          if (out.type !== 'vector') continue;
          expect(Buffer.from(out.vector.buffer)).toEqual(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
          expect(out.quality).toBe(quality / 100);
        }
      }),
      fuzzParams,
    );
  });
});
