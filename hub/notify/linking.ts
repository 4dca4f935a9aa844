// Guardians and their links. A code is random (40 bits in base32, typed by hand from a letter),
// stored only as its SHA-256, single use and expiring; a chat's wrong guesses are limited, so 40 bits
// are far beyond reach. A fast hash is enough here, unlike a password: the code is random and short-lived.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { FailureLimiter } from '../failure-limiter.js';
import type { HubStorage } from '../storage.js';
import type { GuardianRecord, Language, NotifyStore } from './model.js';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I: read from paper
const CODE_LENGTH = 8;

export interface LinkOptions {
  codeTtlMs: number;
  /** Wrong codes a chat may send per window before it must wait. */
  maxGuesses: number;
  guessWindowMs: number;
}

export const DEFAULT_LINK_OPTIONS: LinkOptions = { codeTtlMs: 7 * 24 * 3600_000, maxGuesses: 5, guessWindowMs: 15 * 60_000 };

export type RedeemResult =
  | { ok: true; guardian: GuardianRecord }
  | { ok: false; reason: 'bad_code' }
  | { ok: false; reason: 'rate_limited'; retryAfterMs: number };

export function hashCode(code: string): string {
  return createHash('sha256').update(normaliseCode(code)).digest('hex');
}

/** Upper case, without the spaces and dashes people type. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

function newCode(): string {
  const bytes = randomBytes(CODE_LENGTH);
  let code = '';
  for (const byte of bytes) code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
  return code;
}

export class GuardianLinks {
  private readonly guesses: FailureLimiter;

  constructor(
    private readonly store: NotifyStore,
    private readonly storage: HubStorage,
    private readonly now: () => number = Date.now,
    private readonly options: LinkOptions = DEFAULT_LINK_OPTIONS,
  ) {
    this.guesses = new FailureLimiter(options.maxGuesses, options.guessWindowMs, now);
  }

  /** The child's first name, said only once a link is confirmed; null when the child is not on the roster. */
  async childFirstName(personId: string): Promise<string | null> {
    const entity = await this.storage.rosterEntity('person', personId);
    return entity?.op === 'upsert' && entity.type === 'person' ? (entity.data.name.trim().split(/\s+/)[0] ?? null) : null;
  }

  /** A new guardian of `personId`, with a first code; null when there is no such person. The console will call this too. */
  async addGuardian(personId: string, language: Language): Promise<{ guardianId: string; code: string; expiresAt: string } | null> {
    if ((await this.childFirstName(personId)) === null) return null;
    const guardianId = randomUUID();
    await this.store.addGuardian({ id: guardianId, personId, language, createdMs: this.now() });
    return { guardianId, ...(await this.issueCode(guardianId)) };
  }

  /** Another code for an existing guardian (a lost letter); earlier codes stay valid until used or expired. */
  async issueCode(guardianId: string): Promise<{ code: string; expiresAt: string }> {
    const expiresMs = this.now() + this.options.codeTtlMs;
    const code = newCode();
    await this.store.addCode(hashCode(code), guardianId, expiresMs);
    return { code, expiresAt: new Date(expiresMs).toISOString() };
  }

  /**
   * A guess is counted before it is checked, so a burst of guesses cannot all slip in before the first
   * failure. Text that is not shaped like a code (a parent's "hello") is refused without counting.
   */
  async redeem(chat: string, code: string): Promise<RedeemResult> {
    const normalised = normaliseCode(code);
    if (!new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`).test(normalised)) return { ok: false, reason: 'bad_code' };
    const wait = this.guesses.retryAfterMs(chat);
    if (wait !== null) return { ok: false, reason: 'rate_limited', retryAfterMs: wait };
    this.guesses.count(chat);
    const guardian = await this.store.redeemCode(hashCode(normalised), chat, this.now());
    if (!guardian) return { ok: false, reason: 'bad_code' };
    this.guesses.refund(chat);
    return { ok: true, guardian };
  }

  stop(chat: string): Promise<number> {
    return this.store.stopChat(chat);
  }

  unlink(guardianId: string): Promise<boolean> {
    return this.store.unlinkGuardian(guardianId, this.now());
  }
}
