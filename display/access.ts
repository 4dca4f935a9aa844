// Who may watch the board: loopback always (the kiosk's own screen), anything else only with a token
// from config. Tokens are compared through fixed-length digests with timingSafeEqual so neither the
// content nor the length of a configured token leaks through response timing. A browser's socket
// must also come from a page of the host it connects to (originAllows).
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
    return this.access(address, presented) !== null;
  }

  /** How a client gets in: with a valid token, as the kiosk itself (loopback, no token), or not at all. */
  access(address: string | undefined, presented: unknown): 'token' | 'local' | null {
    if (this.matches(presented)) return 'token';
    return this.isLocal(address) ? 'local' : null;
  }
}

/** The lower-cased host name of a Host header or URL host ("kiosk.local:8080", "[::1]:3000"), brackets off. */
function hostnameOf(authority: string): string | null {
  try {
    return new URL(`http://${authority}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  } catch {
    return null;
  }
}

/**
 * Whether a board socket may be opened from the page that opens it. A browser names the page's
 * origin on every websocket handshake and cross-origin request, so a request without Origin is not
 * a web page's (the lobby TV's page, the kiosk's own screen and the test clients all pass). A page
 * may connect only to the host it was loaded from (the board's socket may listen on another port of
 * it): a page of another site cannot read the board from a browser in the school. Without a token
 * (the kiosk's own screen, on loopback) the host must also be a loopback name, so a site whose name
 * was re-pointed at 127.0.0.1 (DNS rebinding) in the kiosk's own browser is refused as well.
 */
export function originAllows(origin: string | undefined, host: string | undefined, access: 'token' | 'local'): boolean {
  if (origin === undefined) return true;
  let originHost: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    originHost = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  } catch {
    return false; // "null" (a sandboxed frame, a file), or garbage
  }
  const requestHost = host === undefined ? null : hostnameOf(host);
  if (requestHost === null || originHost !== requestHost) return false;
  return access === 'token' || requestHost === 'localhost' || isLoopback(requestHost);
}
