// How many connections a network client may hold open on one of our servers. Node accepts every
// connection and keeps one that never sends a request for headersTimeout (60 s by default); each
// costs a file descriptor and some 10 KB. One laptop on the school's Wi-Fi opening connections in a
// loop could hold hundreds of thousands and run a 2 GB kiosk out of memory, which takes the door's
// process with it. So: a cap per client address, a cap for all remote clients together (the
// kiosk's own screen on loopback is exempt from both), and a shorter wait for a request's headers.
import { isIP, type Server, type Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open connections one client address may hold (a browser opens about six). */
  perAddress: number;
  /** Open connections all non-exempt clients together may hold. New connections are limited to
   * the same figures as a burst, refilled at half of them a second (per address and for all). */
  total: number;
  /** Clients the caps do not apply to; by default loopback addresses (the kiosk itself). */
  exempt?: (address: string) => boolean;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perAddress: 32, total: 256 };

/** How long a connection may take to send a request's headers (Node's default is 60 s). */
export const HEADERS_TIMEOUT_MS = 10_000;

export interface ConnectionCounts {
  open: number;
  refused: number;
}

/** One spelling per client: an IPv4 client seen through an IPv6 socket is the same client. */
export function normalizeAddress(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '?';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function clientAddress(socket: Pick<Socket, 'remoteAddress'>): string {
  return normalizeAddress(socket.remoteAddress);
}

/** The kiosk's own address; other 127.x addresses count as remote (the tests play attackers from them). */
export function isLoopbackAddress(address: string): boolean {
  return address === '127.0.0.1' || address === '::1';
}

/**
 * New connections a client may open: a bucket of `burst` that refills at `perSecond`. Refusing at
 * accept costs the kiosk a few microseconds; a request parsed, routed and answered 429 costs a few
 * hundred, and 150 clients looping on that kept the door's event loop busy.
 */
export class ConnectBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (this.buckets.size >= 4096 && !this.buckets.has(key)) this.forgetFull(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Addresses whose bucket has refilled are remembered no longer: the map stays bounded. */
  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}

/**
 * Refuses (closes at once, before HTTP sees it) a connection beyond the caps or the connect rates;
 * the ones already open are untouched. Call before the server listens. Returns live counts.
 */
export function limitConnections(server: Server, limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS, now: () => number = () => performance.now()): () => ConnectionCounts {
  const exempt = limits.exempt ?? isLoopbackAddress;
  const perAddress = new Map<string, number>();
  const addressRate = new ConnectBuckets(limits.perAddress, limits.perAddress / 2, now);
  const totalRate = new ConnectBuckets(limits.total, limits.total / 2, now);
  let open = 0;
  let refused = 0;
  // First among the listeners, so a refused socket is closed before the HTTP server sets it up.
  server.prependListener('connection', (socket: Socket) => {
    const address = clientAddress(socket);
    if (exempt(address)) return;
    const mine = perAddress.get(address) ?? 0;
    if (mine >= limits.perAddress || open >= limits.total || !addressRate.take(address) || !totalRate.take('*')) {
      refused += 1;
      socket.destroy();
      return;
    }
    perAddress.set(address, mine + 1);
    open += 1;
    socket.once('close', () => {
      open -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return () => ({ open, refused });
}

/** An HTTP server's wait for headers, shortened: a silent connection is closed within about 10-40 s (Node checks every 30 s). */
export function shortenHeadersTimeout(server: { headersTimeout: number; requestTimeout: number }, headersTimeoutMs = HEADERS_TIMEOUT_MS): void {
  server.headersTimeout = headersTimeoutMs;
  // Node requires requestTimeout >= headersTimeout when both are set; 0 (no limit) is left alone.
  if (server.requestTimeout !== 0 && server.requestTimeout < headersTimeoutMs) server.requestTimeout = headersTimeoutMs;
}
