// The console's password rules: at least 10 characters (NIST SP 800-63B's advice: length, and no
// composition rules), not on a list of common passwords, not the username, not one repeated
// character. The list is a data file shipped beside this module, read once at start-up.
import { readFile } from 'node:fs/promises';
import { isErrno } from '../../lib/index.js';

export const MIN_PASSWORD_LENGTH = 10;
/** scrypt's cost is per byte too: a 1 MB "password" is refused before it reaches the worker. */
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_username' | 'repetitive';

export class PasswordPolicy {
  private constructor(private readonly common: ReadonlySet<string>) {}

  /** The list beside this module; from a tsc build (dist-hub/hub/console), the one in the source tree. */
  static async load(file?: URL | string): Promise<PasswordPolicy> {
    const candidates = file ? [file] : [new URL('./common-passwords.txt', import.meta.url), new URL('../../../hub/console/common-passwords.txt', import.meta.url)];
    const text = await readFirst(candidates);
    const words = text.split('\n').map((line) => line.trim().toLowerCase()).filter((line) => line !== '' && !line.startsWith('#'));
    return new PasswordPolicy(new Set(words));
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

async function readFirst(files: ReadonlyArray<URL | string>): Promise<string> {
  let lastError: unknown = new Error('no password list given');
  for (const file of files) {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      // Refuse to start without the list (GUIDE 6: no silent fallback to empty config).
      if (!isErrno(error, 'ENOENT')) throw error;
      lastError = error;
    }
  }
  throw lastError;
}
