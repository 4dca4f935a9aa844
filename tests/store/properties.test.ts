import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFieldCipher, isoWithOffset } from '../../sync/store/index.js';

describe('properties', () => {
  it('isoWithOffset always names the same instant, in the requested offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }), // 1970 .. 2100: a Pi may boot in 1970
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (wallMs, offset) => {
          const iso = isoWithOffset(wallMs, offset);
          expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
          expect(new Date(iso).getTime()).toBe(wallMs);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('a sealed value opens only with its own AAD and unaltered bytes', () => {
    const cipher = createFieldCipher(Buffer.alloc(32, 3), 'k-prop');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.string(), fc.nat(), fc.integer({ min: 1, max: 255 }), (plain, aad, at, flip) => {
        const sealed = cipher.seal(Buffer.from(plain), aad);
        expect(cipher.open(sealed, aad).equals(Buffer.from(plain))).toBe(true);
        const tampered = Buffer.from(sealed);
        tampered[at % tampered.length] ^= flip;
        expect(() => cipher.open(tampered, aad)).toThrow();
        expect(() => cipher.open(sealed, `${aad}x`)).toThrow();
      }),
      { numRuns: 2_000 },
    );
  });
});
