// Accounts without a browser, on SQLite and PostgreSQL: attempts are counted before verification,
// so 30 concurrent guesses verify at most 5 passwords and lock the account; the password policy;
// a wrong username is refused like a wrong password and audited; failed logins per address end in
// 429; an idle session is signed out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken, hashToken, verifyToken } from '../../hub/auth.js';
import { ConsoleAccounts, MAX_ATTEMPTS, PasswordPolicy, consoleStoreFor } from '../../hub/console/index.js';
import type { TokenVerifier } from '../../hub/hub-auth.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';

class CountingHasher implements TokenVerifier {
  verifications = 0;
  hash(secret: string): Promise<string> {
    return hashToken(secret);
  }
  async verify(secret: string, stored: string): Promise<boolean> {
    this.verifications += 1;
    return verifyToken(secret, stored);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function postLogin(url: string, username: string, password: string, cookie = ''): Promise<Response> {
  return fetch(`${url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ username, password }).toString(),
  });
}

describe.each(backends)('console accounts on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend, { failuresPerAddress: 3, idleTimeoutMs: 1500 });
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  it('counts attempts before verifying: 30 concurrent guesses verify at most 5 and lock the account', async () => {
    const store = await consoleStoreFor(harness.storage);
    const hasher = new CountingHasher();
    const accounts = new ConsoleAccounts(store, hasher, await PasswordPolicy.load(), Date.now, 100);
    await accounts.start();
    const created = await accounts.create({ username: 'racer', displayName: 'R', role: 'canteen', className: null, password: PASSWORD });
    expect(created.ok).toBe(true);
    hasher.verifications = 0;
    const guesses = Array.from({ length: 30 }, (_, i) => accounts.login('racer', `${generateToken()}${i}`));
    const results = await Promise.all(guesses);
    expect(hasher.verifications).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect((await accounts.login('racer', PASSWORD)).ok).toBe(false);
    const account = await store.accountByName('racer');
    expect(account && accounts.isLocked(account)).toBe(true);
    expect(await accounts.unlock(account?.id ?? '')).toBe(true);
    expect((await accounts.login('racer', PASSWORD)).ok).toBe(true);
  });

  it('refuses short, common and username-bearing passwords', async () => {
    const policy = await PasswordPolicy.load();
    expect(policy.check('short1!', 'anna')).toBe('too_short');
    expect(policy.check('qwertyuiop', 'anna')).toBe('common');
    expect(policy.check('Password123', 'anna')).toBe('common');
    expect(policy.check('anna.berik-2025', 'anna.berik')).toBe('contains_username');
    expect(policy.check('aaaaaaaaaaaa', 'anna')).toBe('repetitive');
    expect(policy.check(PASSWORD, 'anna')).toBeNull();
  });

  it('answers a wrong username like a wrong password, audits it, and limits failures per address (429)', async () => {
    await harness.account('known', 'director');
    const unknown = await postLogin(harness.url, 'nobody-here', 'whatever password');
    const wrong = await postLogin(harness.url, 'known', 'a wrong password');
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(await unknown.text()).toContain('Пайдаланушы аты немесе құпиясөз қате.');
    const third = await postLogin(harness.url, 'known', 'another wrong password');
    expect(third.status).toBe(401);
    // The address has used its 3 failures: even the right password waits now.
    const limited = await postLogin(harness.url, 'known', PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const store = await consoleStoreFor(harness.storage);
    const known = await store.accountByName('known');
    expect(known?.failedAttempts).toBe(2); // the refused-by-address attempt never reached the account
    const records = await store.auditOf(known?.id ?? '', 0, Date.now() + 1, 10);
    expect(records.map((r) => r.action)).toEqual(['login.failed', 'login.failed']);
  });

  it('authenticates before reading a body: an anonymous 1 MB POST gets 401, not 413', async () => {
    const body = `username=x&password=${'a'.repeat(1024 * 1024)}`;
    const headers = { origin: harness.url, 'content-type': 'application/x-www-form-urlencoded' };
    const anonymous = await fetch(`${harness.url}/console/accounts`, { method: 'POST', headers, body });
    expect(anonymous.status).toBe(401);
    const noOrigin = await fetch(`${harness.url}/console/accounts`, { method: 'POST', headers: { 'content-type': headers['content-type'] }, body: 'username=x' });
    expect(noOrigin.status).toBe(403);
    // The login route, which has no session to check, still refuses a form bigger than a form.
    const login = await fetch(`${harness.url}/console/login`, { method: 'POST', headers, body });
    expect(login.status).toBe(413);
  });

  it('shares sessions between hub processes on one database; a logout on one ends it on both', async () => {
    if (_name !== 'postgres') return; // one SQLite file is one hub process
    const second = await ConsoleHarness.start(backend, {}, harness);
    try {
      await harness.account('roamer', 'director');
      // Signed in on the second process (the first one's address limit is spent by the test above).
      const login = await postLogin(second.url, 'roamer', PASSWORD);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const get = (url: string): Promise<Response> => fetch(`${url}/console/attendance`, { redirect: 'manual', headers: { cookie } });
      const page = await get(harness.url);
      expect(page.status).toBe(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
      const logout = await fetch(`${second.url}/console/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin: second.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf }).toString(),
      });
      expect(logout.status).toBe(302);
      expect((await get(harness.url)).status).toBe(302);
      expect((await get(second.url)).status).toBe(302);
    } finally {
      await second.stop();
    }
  });

  it('signs out an idle session', async () => {
    const fresh = await ConsoleHarness.start(backend, { idleTimeoutMs: 1500 });
    try {
      await fresh.account('idler', 'director');
      const login = await postLogin(fresh.url, 'idler', PASSWORD);
      expect(login.status).toBe(302);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const page = (): Promise<Response> => fetch(`${fresh.url}/console/attendance`, { redirect: 'manual', headers: { cookie } });
      expect((await page()).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await page()).status).toBe(200); // activity keeps it alive (rolling)
      await new Promise((r) => setTimeout(r, 2000));
      const idle = await page();
      expect(idle.status).toBe(302);
      expect(idle.headers.get('location')).toBe('/console/login');
    } finally {
      await fresh.stop();
    }
  });
});
