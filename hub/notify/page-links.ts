// Links to the parents' page. A link carries a random 256-bit token; the hub keeps only its SHA-256
// (a copy of the database gives no working link), which guardians it opens, when it expires, and a
// random form token that every POST from the page must carry. A fast hash is enough: the token is
// random and long, not a password.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GuardianRecord, NotifyStore, PageLink } from './model.js';

export interface PageLinkOptions {
  /** How long a link opens the page. Short: a link forwarded or left in a chat history stops working. */
  ttlMs: number;
}

export const DEFAULT_PAGE_LINK_OPTIONS: PageLinkOptions = { ttlMs: 24 * 3600_000 };

export type OpenedLink =
  | { ok: true; link: PageLink; guardians: GuardianRecord[] }
  | { ok: false; reason: 'expired' | 'invalid' };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashPageToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of a submitted form token with the link's. */
export function sameToken(submitted: string, expected: string): boolean {
  const a = Buffer.from(submitted);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class ParentPageLinks {
  constructor(
    private readonly store: NotifyStore,
    private readonly now: () => number = Date.now,
    private readonly options: PageLinkOptions = DEFAULT_PAGE_LINK_OPTIONS,
  ) {}

  /** A new link to the page of these guardian rows (the children of one chat, or one guardian). */
  async issue(guardianIds: readonly string[]): Promise<{ token: string; path: string; expiresAt: string }> {
    if (guardianIds.length === 0) throw new Error('a page link needs at least one guardian');
    const token = randomBytes(32).toString('base64url');
    const createdMs = this.now();
    const expiresMs = createdMs + this.options.ttlMs;
    await this.store.addPageLink({ hash: hashPageToken(token), guardianIds: [...guardianIds], formToken: randomBytes(24).toString('base64url'), expiresMs, createdMs });
    return { token, path: `/parent/${token}`, expiresAt: new Date(expiresMs).toISOString() };
  }

  /**
   * The link and its guardians still linked. Expired and unknown links are told apart for the
   * guardian's sake (ask for a new one), and neither shows anything; a link whose guardians were all
   * unlinked by the school is invalid.
   */
  async open(token: string): Promise<OpenedLink> {
    if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'invalid' };
    const link = await this.store.pageLink(hashPageToken(token));
    if (!link) return { ok: false, reason: 'invalid' };
    if (link.expiresMs <= this.now()) return { ok: false, reason: 'expired' };
    const guardians: GuardianRecord[] = [];
    for (const id of link.guardianIds) {
      const guardian = await this.store.guardian(id);
      if (guardian && guardian.unlinkedMs === null) guardians.push(guardian);
    }
    return guardians.length === 0 ? { ok: false, reason: 'invalid' } : { ok: true, link, guardians };
  }
}
