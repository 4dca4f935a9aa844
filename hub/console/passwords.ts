// The console's password rules: at least 10 characters (NIST SP 800-63B's advice: length, and no
// composition rules), not on a list of common passwords, not the username, not one repeated
// character. The list is common-passwords.ts.
import { COMMON_PASSWORDS } from './common-passwords.js';

export const MIN_PASSWORD_LENGTH = 10;
/** scrypt's cost is per byte too: a 1 MB "password" is refused before it reaches the worker. */
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_username' | 'repetitive';

export class PasswordPolicy {
  private constructor(private readonly common: ReadonlySet<string>) {}

  static load(words: readonly string[] = COMMON_PASSWORDS): Promise<PasswordPolicy> {
    return Promise.resolve(new PasswordPolicy(new Set(words.map((word) => word.toLowerCase()))));
  }

  /** The first rule `password` breaks, or null when it may be used. */
  check(password: string, username: string): PasswordProblem | null {
    const length = [...password].length;
    if (length < MIN_PASSWORD_LENGTH) return 'too_short';
    if (length > MAX_PASSWORD_LENGTH) return 'too_long';
    const lower = password.toLowerCase();
    if (this.common.has(lower)) return 'common';
    if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'contains_username';
    if (new Set(lower).size <= 2) return 'repetitive';
    return null;
  }
}

