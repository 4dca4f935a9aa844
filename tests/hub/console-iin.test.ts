// The ИИН rule (hub/console/iin.ts): hand-computed numbers for both check-digit passes and for the
// eleven digits that have no valid check digit, each refusal reason, and properties over generated
// numbers: every number makeIin gives is valid with its own birth date and sex, and a wrong check
// digit is always refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iinCheckDigit, makeIin, parseIin, realDate } from '../../hub/console/iin.js';

describe('ИИН', () => {
  it('accepts a number checked in the first pass (weights 1..11), with its birth date and sex', () => {
    // 9·1 + 5·2 + 1·4 + 1·6 + 3·7 + 3·11 = 83 ≡ 6 (mod 11)
    expect(parseIin('950101300036')).toEqual({ ok: true, iin: '950101300036', birthDate: '1995-01-01', sex: 'male' });
    expect(parseIin('950101300037')).toEqual({ ok: false, problem: 'iin_checksum' });
  });

  it('recomputes with weights 3..11,1,2 when the first pass gives 10', () => {
    // first pass: 1·4 + 1·6 + 5·7 + 2·10 = 65 ≡ 10; second: 1·6 + 1·8 + 5·9 + 2·1 = 61 ≡ 6
    expect(iinCheckDigit('00010150020')).toBe(6);
    expect(parseIin('000101500206')).toMatchObject({ ok: true, birthDate: '2000-01-01', sex: 'male' });
  });

  it('has no valid number when both passes give 10', () => {
    // first pass 65 ≡ 10 (weight 11 adds nothing mod 11); second 61 + 2·2 = 65 ≡ 10
    expect(iinCheckDigit('00010150022')).toBeNull();
    for (let d = 0; d <= 9; d++) expect(parseIin(`00010150022${d}`)).toEqual({ ok: false, problem: 'iin_checksum' });
  });

  it('refuses a bad format, century digit or birth date', () => {
    expect(parseIin('95010130003')).toEqual({ ok: false, problem: 'iin_format' });
    expect(parseIin('95010130003a')).toEqual({ ok: false, problem: 'iin_format' });
    expect(parseIin('950101700036')).toEqual({ ok: false, problem: 'iin_century' });
    expect(parseIin('950101000036')).toEqual({ ok: false, problem: 'iin_century' });
    expect(parseIin('950230300036')).toEqual({ ok: false, problem: 'iin_date' });
    expect(parseIin('951301300036')).toEqual({ ok: false, problem: 'iin_date' });
    // 29 February: 2012 is a leap year, 1900 (century 3/4) is not.
    expect(parseIin(makeIin('2012-02-29', 'female', 1) ?? '')).toMatchObject({ ok: true, birthDate: '2012-02-29', sex: 'female' });
    expect(realDate(1900, 2, 29)).toBeNull();
    expect(parseIin('000229300010')).toEqual({ ok: false, problem: 'iin_date' });
  });

  const dates = fc.date({ min: new Date(Date.UTC(1850, 0, 1)), max: new Date(Date.UTC(2099, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

  it('property: every number makeIin gives is valid and carries its birth date and sex', () => {
    fc.assert(
      fc.property(dates, fc.constantFrom('male' as const, 'female' as const), fc.integer({ min: 0, max: 9999 }), (birthDate, sex, serial) => {
        const iin = makeIin(birthDate, sex, serial);
        if (iin === null) return; // those eleven digits have no check digit
        expect(parseIin(iin)).toEqual({ ok: true, iin, birthDate, sex });
      }),
      { numRuns: 2000 },
    );
  });

  it('property: any other check digit is refused', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 9 }), (birthDate, serial, shift) => {
        const iin = makeIin(birthDate, 'female', serial);
        if (iin === null) return;
        const wrong = `${iin.slice(0, 11)}${(Number(iin.charAt(11)) + shift) % 10}`;
        expect(parseIin(wrong)).toEqual({ ok: false, problem: 'iin_checksum' });
      }),
      { numRuns: 2000 },
    );
  });
});
