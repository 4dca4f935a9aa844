// Accounts made outside the console: the first director (CLI), and one account per role for the
// demo, with fresh random passwords the demo prints (never a fixed password that would end up in
// a real school).
import { randomBytes } from 'node:crypto';
import { hashToken, verifyToken } from '../auth.js';
import type { TokenVerifier } from '../hub-auth.js';
import type { HubStorage } from '../storage.js';
import { ConsoleAccounts, type NewAccountInput } from './accounts.js';
import { consoleStoreFor } from './store-for.js';
import { PasswordPolicy } from './passwords.js';
import type { Role } from './roles.js';
import type { AccountRecord } from './store.js';

export interface DemoAccount {
  username: string;
  role: Role;
  className: string | null;
  password: string;
}

/** scrypt on libuv's pool: fine for a one-off tool or a demo's start-up, not for a serving hub. */
const poolHasher: TokenVerifier = {
  hash: (secret) => hashToken(secret),
  verify: (secret, stored) => verifyToken(secret, stored),
  close: () => Promise.resolve(),
};

export function demoPassword(): string {
  return randomBytes(12).toString('base64url');
}

export async function createAccount(storage: HubStorage, input: NewAccountInput, hasher: TokenVerifier = poolHasher): Promise<AccountRecord> {
  const store = await consoleStoreFor(storage);
  await store.migrate();
  const accounts = new ConsoleAccounts(store, hasher, await PasswordPolicy.load(), Date.now);
  const result = await accounts.create(input);
  if (!result.ok) throw new Error(`cannot create ${input.username}: ${result.problem}`);
  return result.account;
}

/**
 * One account per role (class teacher of `className`, by default the roster's first class), each
 * with a new password. An account left from an earlier start is kept and given a new password, so
 * what the demo prints always works.
 */
export async function seedDemoAccounts(storage: HubStorage, options: { className?: string; hasher?: TokenVerifier } = {}): Promise<DemoAccount[]> {
  const hasher = options.hasher ?? poolHasher;
  const store = await consoleStoreFor(storage);
  await store.migrate();
  const className = options.className ?? (await storage.listGroups())[0]?.group ?? '5A';
  const wanted: Array<{ username: string; role: Role; displayName: string }> = [
    { username: 'director', role: 'director', displayName: 'Demo director' },
    { username: 'teacher', role: 'class_teacher', displayName: 'Demo class teacher' },
    { username: 'canteen', role: 'canteen', displayName: 'Demo canteen operator' },
    { username: 'librarian', role: 'librarian', displayName: 'Demo librarian' },
    { username: 'technician', role: 'technician', displayName: 'Demo technician' },
    { username: 'district', role: 'district', displayName: 'Demo district officer' },
  ];
  const made: DemoAccount[] = [];
  for (const account of wanted) {
    const password = demoPassword();
    const klass = account.role === 'class_teacher' ? className : null;
    const existing = await store.accountByName(account.username);
    if (existing) {
      await store.setPassword(existing.id, await hasher.hash(password));
      await store.unlock(existing.id);
    } else {
      await createAccount(storage, { ...account, className: klass, password }, hasher);
    }
    made.push({ username: account.username, role: account.role, className: existing ? existing.className : klass, password });
  }
  return made;
}

/** What the operator's own tools do is on the record too, under no account, from the machine itself. */
async function auditLocal(storage: HubStorage, action: string, account: AccountRecord): Promise<void> {
  const store = await consoleStoreFor(storage);
  await store.appendAudit({ atMs: Date.now(), accountId: null, username: 'hub-cli', action, address: 'local', subject: `account:${account.id}`, detail: { username: account.username } });
}

/** The first director, or a new one when every director is locked out; the password is made here and shown once. */
export async function createDirector(storage: HubStorage, username: string, displayName: string): Promise<{ account: AccountRecord; password: string }> {
  const password = demoPassword();
  const account = await createAccount(storage, { username, displayName, role: 'director', className: null, password });
  await auditLocal(storage, 'account.create', account);
  return { account, password };
}

/** Unlocks an account from the hub's machine: the way back in for the last director. */
export async function unlockByName(storage: HubStorage, username: string): Promise<AccountRecord> {
  const store = await consoleStoreFor(storage);
  await store.migrate();
  const account = await store.accountByName(username.trim().toLowerCase());
  if (!account) throw new Error(`no console account ${username}`);
  await store.unlock(account.id);
  await store.deleteSessionsOf(account.id);
  await auditLocal(storage, 'account.unlock', account);
  return account;
}
