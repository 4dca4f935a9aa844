import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PinVerifierThread } from '../../../device/security/pin-verifier.js';
import { PinGate, PinVerifierBusy, hashPin, verifyPin, verifyPinSync } from '../../../device/security/technician-pin.js';

/** A verifier that lets any number of checks overlap (as libuv's pool did), comparing to a known PIN. */
function overlappingVerifier(right: string): { verify: (pin: string) => Promise<boolean>; calls: () => number } {
  let calls = 0;
  return {
    verify: async (pin) => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 20));
      return pin === right;
    },
    calls: () => calls,
  };
}

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

  it('counts an attempt before verifying it: 40 wrong PINs and the right one at once do not let the right one in', async () => {
    const verifier = overlappingVerifier('2468');
    const gate = new PinGate({ hash: await hashPin('2468'), verify: verifier.verify });
    const answers = await Promise.all([...Array.from({ length: 40 }, (_, i) => gate.check(String(1000 + i), '10.0.0.9')), gate.check('2468', '10.0.0.9')]);
    expect(answers.at(-1)).toMatchObject({ ok: false, reason: 'locked' });
    expect(answers.filter((a) => a.ok)).toHaveLength(0);
    expect(verifier.calls()).toBe(5); // the rest were refused unverified
  });

  it('locks one address for long and every address briefly: the global lock lets another address in once it ends', async () => {
    let now = 1_000_000;
    const locks: string[] = [];
    const verifier = overlappingVerifier('2468');
    const gate = new PinGate({ hash: await hashPin('2468'), verify: verifier.verify, now: () => now, onLock: (scope, address) => locks.push(`${scope}:${address}`) });
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) for (let i = 0; i < 5; i++) await gate.check('0000', address);
    expect(locks).toEqual(['address:10.0.0.1', 'address:10.0.0.2', 'address:10.0.0.3', 'address:10.0.0.4', 'global:10.0.0.4']);
    expect(await gate.check('2468', '10.0.0.5')).toEqual({ ok: false, reason: 'locked', retryAfterMs: 60_000 });
    now += 60_000;
    expect(await gate.check('2468', '10.0.0.5')).toEqual({ ok: true });
    expect(await gate.check('2468', '10.0.0.1')).toMatchObject({ ok: false, reason: 'locked' });
    now += 15 * 60_000;
    expect(await gate.check('2468', '10.0.0.1')).toEqual({ ok: true });
  });

  it('a busy verifier is a refusal that does not count as a guess', async () => {
    let busy = true;
    const gate = new PinGate({
      hash: await hashPin('2468'),
      verify: (pin) => (busy ? Promise.reject(new PinVerifierBusy()) : Promise.resolve(pin === '2468')),
    });
    for (let i = 0; i < 10; i++) expect(await gate.check('0000', '10.0.0.1')).toEqual({ ok: false, reason: 'busy' });
    busy = false;
    expect(await gate.check('2468', '10.0.0.1')).toEqual({ ok: true });
  });
});

describe('PIN verifier thread', () => {
  it('verifies on its own thread, one PIN at a time: a second PIN meanwhile is refused, not queued', async () => {
    const hash = await hashPin('482913');
    expect(verifyPinSync('482913', hash)).toBe(true);
    const verifier = new PinVerifierThread({ logger: pino({ level: 'silent' }) });
    try {
      const first = verifier.verify('482913', hash);
      await expect(verifier.verify('000000', hash)).rejects.toBeInstanceOf(PinVerifierBusy);
      expect(await first).toBe(true);
      expect(await verifier.verify('000000', hash)).toBe(false);
      expect(verifier.status()).toMatchObject({ verified: 2, refusedBusy: 1, maxConcurrent: 1, threadRunning: true });
    } finally {
      await verifier.close();
    }
    expect(verifier.status().threadRunning).toBe(false);
  }, 60_000);
});
