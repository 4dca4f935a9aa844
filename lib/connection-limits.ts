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
  /** Open connections all non-exempt clients together may hold. */
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
export function clientAddress(socket: Pick<Socket, 'remoteAddress'>): string {
  const address = socket.remoteAddress ?? '?';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** The kiosk's own address; other 127.x addresses count as remote (the tests play attackers from them). */
export function isLoopbackAddress(address: string): boolean {
  return address === '127.0.0.1' || address === '::1';
}

/**
 * Refuses (closes at once) a connection beyond the caps; the ones already open are untouched. Call
 * before the server listens. Returns live counts for status and metrics.
 */
export function limitConnections(server: Server, limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS): () => ConnectionCounts {
  const exempt = limits.exempt ?? isLoopbackAddress;
  const perAddress = new Map<string, number>();
  let open = 0;
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const address = clientAddress(socket);
    if (exempt(address)) return;
    const mine = perAddress.get(address) ?? 0;
    if (mine >= limits.perAddress || open >= limits.total) {
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
