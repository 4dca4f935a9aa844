// Closing an HTTP server promptly. Node's server.close() waits for every open connection to end, and
// it closes only the idle keep-alive ones itself: a connection that has not sent a request yet (a
// browser's speculative preconnect, a lobby TV reloading, or a client that opens a socket and says
// nothing) is held until headersTimeout, 60 s by default. A kiosk stopping for a restart or an update
// would keep its doors out of service that long, and anyone on the network could make it so.
import type { Server } from 'node:http';

/** How long requests already under way may finish before their connections are cut. */
export const DEFAULT_CLOSE_GRACE_MS = 1000;

/**
 * Runs `close` (which ends by closing `server`: Fastify's close, socket.io's close) and cuts every
 * connection still open after `graceMs`, so the close resolves within about that time whatever
 * the clients do.
 */
export async function closeWithin<T>(server: Pick<Server, 'closeAllConnections'>, close: () => Promise<T>, graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<T> {
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  try {
    return await close();
  } finally {
    clearTimeout(timer);
  }
}
