// Console accounts: creating them under the password policy, logging in with a lockout, unlocking.
// A login attempt is counted in the database before its password is verified (one UPDATE ...
// RETURNING), so however many attempts race, at most MAX_ATTEMPTS are ever verified against an
// account before it locks; once locked, even the right password is refused until a director (or the
// admin CLI, for the last director) unlocks it. Passwords are scrypt hashes made on the hub's scrypt
// worker thread (hub-auth.ts), never on libuv's pool in front of the database.
import { randomUUID } from 'node:crypto';
import { generateToken } from '../auth.js';
import type { TokenVerifier } from '../hub-auth.js';
import { MAX_PASSWORD_LENGTH, type PasswordPolicy, type PasswordProblem } from './passwords.js';
import type { Role } from './roles.js';
import type { AccountRecord, ConsoleStore } from './store.js';

export const MAX_ATTEMPTS = 5;

export type LoginResult =
  | { ok: true; account: AccountRecord }
  | { ok: false; reason: 'wrong' | 'locked' | 'busy'; account: AccountRecord | null };

export interface NewAccountInput {
  username: string;
  displayName: string;
  role: Role;
  className: string | null;
  password: string;
}

export type CreateResult = { ok: true; account: AccountRecord } | { ok: false; problem: PasswordProblem | 'invalid_username' | 'taken' | 'class_required' };

const USERNAME = /^[a-z0-9._-]{3,32}$/;

export class ConsoleAccounts {
  private dummyHash: string | null = null;
  private pending = 0;

  constructor(
    private readonly store: ConsoleStore,
    private readonly hasher: TokenVerifier,
    private readonly policy: PasswordPolicy,
    private readonly now: () => number,
    /** Verifications running or queued on the scrypt thread at once; more are answered busy. */
    private readonly maxPending = 2,
  ) {}

  async start(): Promise<void> {
    this.dummyHash = await this.hasher.hash(generateToken());
  }

  async login(username: string, password: string): Promise<LoginResult> {
    if (this.pending >= this.maxPending) return { ok: false, reason: 'busy', account: null };
    const name = username.trim().toLowerCase();
    const count = USERNAME.test(name) ? await this.store.countAttempt(name, this.now(), MAX_ATTEMPTS) : null;
    if (count !== null && count > MAX_ATTEMPTS) return { ok: false, reason: 'locked', account: await this.store.accountByName(name) };
    const account = count === null ? null : await this.store.accountByName(name);
    // An unknown name is verified too, against a hash nothing matches: the same work and the same answer.
    const verified = await this.verify(password, account?.passwordHash ?? this.requireDummy());
    if (!verified || account === null) {
      return { ok: false, reason: count !== null && count >= MAX_ATTEMPTS ? 'locked' : 'wrong', account };
    }
    await this.store.clearAttempts(account.id);
    return { ok: true, account: { ...account, failedAttempts: 0, lockedAtMs: null } };
  }

  async create(input: NewAccountInput): Promise<CreateResult> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME.test(username)) return { ok: false, problem: 'invalid_username' };
    if (input.role === 'class_teacher' && !input.className) return { ok: false, problem: 'class_required' };
    const problem = this.policy.check(input.password, username);
    if (problem) return { ok: false, problem };
    const account: AccountRecord = {
      id: randomUUID(),
      username,
      displayName: input.displayName.trim().slice(0, 128) || username,
      role: input.role,
      className: input.role === 'class_teacher' ? (input.className ?? '').trim().slice(0, 64) : null,
      passwordHash: await this.hasher.hash(input.password),
      failedAttempts: 0,
      lockedAtMs: null,
      createdMs: this.now(),
    };
    return (await this.store.createAccount(account)) ? { ok: true, account } : { ok: false, problem: 'taken' };
  }

  /**
   * Changes one's own password. The current password is checked like a login (counted first, so
   * the form cannot be used to guess it past the lockout); then every session of the account ends.
   */
  async changePassword(account: AccountRecord, current: string, next: string): Promise<{ ok: true } | { ok: false; problem: PasswordProblem | 'wrong' | 'locked' | 'busy' }> {
    const problem = this.policy.check(next, account.username);
    if (problem) return { ok: false, problem };
    const check = await this.login(account.username, current);
    if (!check.ok) return { ok: false, problem: check.reason };
    await this.store.setPassword(account.id, await this.hasher.hash(next));
    await this.store.deleteSessionsOf(account.id);
    return { ok: true };
  }

  /** Unlocks and signs out every session of the account (whoever had it open while it was being guessed). */
  async unlock(accountId: string): Promise<boolean> {
    const done = await this.store.unlock(accountId);
    if (done) await this.store.deleteSessionsOf(accountId);
    return done;
  }

  isLocked(account: AccountRecord): boolean {
    return account.failedAttempts >= MAX_ATTEMPTS;
  }

  private async verify(password: string, hash: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    this.pending += 1;
    try {
      return await this.hasher.verify(password, hash);
    } finally {
      this.pending -= 1;
    }
  }

  private requireDummy(): string {
    if (this.dummyHash === null) throw new Error('ConsoleAccounts.start() was not awaited');
    return this.dummyHash;
  }
}
