// Who may watch the board: loopback always (the kiosk's own screen), anything else only with a token
// from config. Tokens are compared through fixed-length digests with timingSafeEqual so neither the
// content nor the length of a configured token leaks through response timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Decides whether a client address is the kiosk itself (no token needed). */
export type LoopbackPredicate = (address: string | undefined) => boolean;

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined || isIP(address) === 0) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class BoardTokens {
  private readonly digests: Buffer[];

  /** `isLocal` is injectable so tests can play a remote client from another loopback address. */
  constructor(
    tokens: readonly string[],
    private readonly isLocal: LoopbackPredicate = isLoopback,
  ) {
    this.digests = tokens.map(digest);
  }

  /** True when `presented` equals one of the configured tokens; checks every token to keep timing flat. */
  matches(presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return false;
    const candidate = digest(presented);
    let found = false;
    for (const known of this.digests) found = timingSafeEqual(known, candidate) || found;
    return found;
  }

  /** A local address passes; anything else needs a valid token. */
  allows(address: string | undefined, presented: unknown): boolean {
    return this.isLocal(address) || this.matches(presented);
  }
}
