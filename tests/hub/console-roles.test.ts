// Who sees what, for every role, from the demo's own accounts (seedDemoAccounts): each signs in with
// the password it was given, and each page answers 200 or 403 as roles.ts says. The district
// officer's aggregates carry no pupil's name. Seeding again gives new passwords that work while
// the old ones stop working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccounts, type DemoAccount } from '../../hub/console/index.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, NAME_PARTS } from './console-harness.js';

const CLASS_5A = `/console/classes/${encodeURIComponent('5А')}`;
const CLASS_6B = `/console/classes/${encodeURIComponent('6Б')}`;
const PAGES = ['/console/attendance', CLASS_5A, CLASS_6B, '/console/devices', '/console/accounts', '/console/audit', '/console/home'] as const;

const EXPECTED: Record<string, Record<(typeof PAGES)[number], number>> = {
  director: { '/console/attendance': 200, [CLASS_5A]: 200, [CLASS_6B]: 200, '/console/devices': 200, '/console/accounts': 200, '/console/audit': 200, '/console/home': 200 },
  teacher: { '/console/attendance': 403, [CLASS_5A]: 200, [CLASS_6B]: 403, '/console/devices': 403, '/console/accounts': 403, '/console/audit': 403, '/console/home': 200 },
  canteen: { '/console/attendance': 403, [CLASS_5A]: 403, [CLASS_6B]: 403, '/console/devices': 403, '/console/accounts': 403, '/console/audit': 403, '/console/home': 200 },
  librarian: { '/console/attendance': 403, [CLASS_5A]: 403, [CLASS_6B]: 403, '/console/devices': 403, '/console/accounts': 403, '/console/audit': 403, '/console/home': 200 },
  technician: { '/console/attendance': 403, [CLASS_5A]: 403, [CLASS_6B]: 403, '/console/devices': 200, '/console/accounts': 403, '/console/audit': 403, '/console/home': 200 },
  district: { '/console/attendance': 200, [CLASS_5A]: 403, [CLASS_6B]: 403, '/console/devices': 403, '/console/accounts': 403, '/console/audit': 403, '/console/home': 200 },
};

async function signIn(url: string, username: string, password: string): Promise<string | null> {
  const response = await fetch(`${url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  return response.status === 302 ? ((response.headers.get('set-cookie') ?? '').split(';')[0] ?? null) : null;
}

describe.each(backends.filter(([name]) => name === 'sqlite'))('console roles on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let demo: DemoAccount[];

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    demo = await seedDemoAccounts(harness.storage, { className: '5А' });
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  it('gives one account per role, and each sees exactly its pages', async () => {
    expect(demo.map((a) => a.role).sort()).toEqual(['canteen', 'class_teacher', 'director', 'district', 'librarian', 'technician']);
    for (const account of demo) {
      const cookie = await signIn(harness.url, account.username, account.password);
      expect(cookie, account.username).not.toBeNull();
      const seen: Record<string, number> = {};
      for (const path of PAGES) {
        const response = await fetch(`${harness.url}${path}`, { headers: { cookie: cookie ?? '' }, redirect: 'manual' });
        seen[path] = response.status;
        const body = await response.text();
        if (account.role === 'district' || account.role === 'technician') for (const part of NAME_PARTS) expect(body.includes(part), `${part} in ${path} for ${account.role}`).toBe(false);
      }
      expect(seen, account.username).toEqual(EXPECTED[account.username]);
    }
  });

  it('lets an account change its own password: checked like a login, and every session ends', async () => {
    const librarian = demo.find((a) => a.username === 'librarian') as DemoAccount;
    const cookie = (await signIn(harness.url, 'librarian', librarian.password)) ?? '';
    const other = (await signIn(harness.url, 'librarian', librarian.password)) ?? '';
    const form = await (await fetch(`${harness.url}/console/password`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const change = (current: string, next: string): Promise<Response> =>
      fetch(`${harness.url}/console/password`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin: harness.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, current, next }).toString(),
      });
    expect((await change('not my password at all', 'a brand new passphrase')).status).toBe(401);
    const common = await change(librarian.password, 'qwertyuiop123');
    expect(common.status).toBe(400);
    expect(await common.text()).toContain('common');
    const done = await change(librarian.password, 'a brand new passphrase');
    expect(done.status).toBe(302);
    for (const old of [cookie, other]) expect((await fetch(`${harness.url}/console/home`, { headers: { cookie: old }, redirect: 'manual' })).status).toBe(302);
    expect(await signIn(harness.url, 'librarian', librarian.password)).toBeNull();
    expect(await signIn(harness.url, 'librarian', 'a brand new passphrase')).not.toBeNull();
  });

  it('seeding again gives new passwords; the old ones stop working', async () => {
    const again = await seedDemoAccounts(harness.storage, { className: '5А' });
    const before = demo.find((a) => a.username === 'director') as DemoAccount;
    const after = again.find((a) => a.username === 'director') as DemoAccount;
    expect(after.password).not.toBe(before.password);
    expect(await signIn(harness.url, 'director', before.password)).toBeNull();
    expect(await signIn(harness.url, 'director', after.password)).not.toBeNull();
  });
});
