import { describe, expect, it } from 'vitest';
import { PinGate, hashPin, verifyPin } from '../../../device/security/technician-pin.js';

describe('technician PIN', () => {
  it('hashes with a fresh salt and verifies only the right PIN', async () => {
    const a = await hashPin('482913');
    const b = await hashPin('482913');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt-v1\$32768\$8\$1\$/);
    expect(a).not.toContain('482913');
    expect(await verifyPin('482913', a)).toBe(true);
    expect(await verifyPin('482914', a)).toBe(false);
  });

  it('refuses PINs that are not 4-12 digits and hashes it does not understand', async () => {
    await expect(hashPin('12')).rejects.toThrow(/4 to 12 digits/);
    await expect(hashPin('abcd')).rejects.toThrow(/4 to 12 digits/);
    await expect(verifyPin('1234', 'md5$abc')).rejects.toThrow(/unknown format/);
    expect(() => new PinGate({ hash: 'plain-1234' })).toThrow(/unknown format/);
  });

  it('locks after 5 wrong attempts, refuses even the right PIN while locked, and unlocks after the period', async () => {
    let now = 1_000_000;
    const gate = new PinGate({ hash: await hashPin('2468'), lockoutMs: 60_000, now: () => now });
    for (let i = 0; i < 4; i++) expect(await gate.check('0000')).toEqual({ ok: false, reason: 'wrong_pin' });
    expect(await gate.check('0000')).toEqual({ ok: false, reason: 'locked', retryAfterMs: 60_000 });
    now += 30_000;
    expect(await gate.check('2468')).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    now += 30_000;
    expect(await gate.check('2468')).toEqual({ ok: true });
  });

  it('a success resets the failure count', async () => {
    const gate = new PinGate({ hash: await hashPin('2468') });
    for (let i = 0; i < 4; i++) await gate.check('1111');
    expect((await gate.check('2468')).ok).toBe(true);
    for (let i = 0; i < 4; i++) expect((await gate.check('1111')).ok).toBe(false);
    expect(await gate.check('2468')).toEqual({ ok: true });
  });

  it('admits nobody by PIN when none is configured', async () => {
    expect(await new PinGate({ hash: null }).check('1234')).toEqual({ ok: false, reason: 'no_pin_configured' });
  });
});
