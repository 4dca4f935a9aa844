// Cross-site requests to the kiosk's admin surfaces. A browser always sends `Origin` on a
// cross-origin request and on every WebSocket handshake, so a request whose Origin is not the
// kiosk's own page is refused: a page on evil.example, opened in a browser on the kiosk (loopback,
// no PIN) or beside a technician's session, cannot present a card or press the exit button. A
// request without Origin is a same-origin GET from our own page or a program (curl, socket.io-client
// in Node, the tests) and is left to the usual admission (loopback or a session).
import { hostname } from 'node:os';
import { isIP } from 'node:net';

export interface OriginPolicyOptions {
  /** Extra host names the kiosk is reached by (a school's DNS name for it), beside its own hostname. */
  hostNames?: readonly string[];
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain']);

/**
 * Same origin as the request's Host, and that host is an address, localhost or one of the kiosk's
 * own names. The second rule stops DNS rebinding: a page from evil.example whose name was
 * re-pointed at the kiosk sends Origin and Host both "evil.example", which match each other but
 * are not a name of this kiosk.
 */
export class OriginPolicy {
  private readonly names: Set<string>;

  constructor(options: OriginPolicyOptions = {}) {
    const own = hostname().toLowerCase();
    this.names = new Set([...LOOPBACK_NAMES, own, `${own}.local`, ...(options.hostNames ?? []).map((n) => n.toLowerCase())]);
  }

  /** True when the request may go on: no Origin at all, or our own page's. */
  allows(origin: string | string[] | undefined, host: string | string[] | undefined): boolean {
    if (origin === undefined) return true;
    if (Array.isArray(origin) || Array.isArray(host) || host === undefined) return false;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes the literal "null" of sandboxed frames and file:// pages
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (url.host.toLowerCase() !== host.toLowerCase()) return false;
    const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return isIP(name) !== 0 || this.names.has(name);
  }
}
