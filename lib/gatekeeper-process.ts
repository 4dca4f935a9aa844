// The connection gatekeeper's process (started by lib/gatekeeper.ts). It owns the listening
// socket of a server whose real work runs in the parent, accepts every connection, and refuses the
// ones beyond the connect rates here, so that a client looping on connect() costs this process its
// accepts and not the parent's event loop (the kiosk's: the door's decisions). A connection it
// admits is passed to the parent over IPC still paused: this process never reads a byte of it.
// Loopback clients (the kiosk's own screen) are always passed on.
import { createServer, type Socket } from 'node:net';
import { getPriority, setPriority } from 'node:os';
import { ConnectBuckets, clientAddress, isLoopbackAddress } from './connection-limits.js';

/** What the parent sends in argv[2], as JSON. */
export interface GatekeeperInit {
  host: string;
  port: number;
  /** New connections per address: a burst refilled at half of it a second (as lib/connection-limits.ts). */
  perAddress: number;
  /** New connections from all remote clients together, the same way. */
  total: number;
  /** Admitted connections the parent has not yet taken: beyond it, new ones are refused. */
  maxInFlight: number;
  /** Added to the parent's nice value: the parent's work goes first when the CPU is short. */
  niceIncrement: number;
}

export type FromGatekeeper =
  | { type: 'listening'; port: number }
  | { type: 'connection' }
  | { type: 'refused'; count: number }
  | { type: 'failed'; message: string };

function send(message: FromGatekeeper, socket?: Socket, done?: (error: Error | null) => void): void {
  if (!process.connected) return;
  process.send?.(message, socket, { keepOpen: false }, done);
}

function lowerPriority(increment: number): void {
  try {
    setPriority(0, Math.min(19, getPriority(0) + increment));
  } catch {
    // Not permitted (a container's policy): the gatekeeper still works, at the parent's priority.
  }
}

function run(init: GatekeeperInit): void {
  lowerPriority(init.niceIncrement);
  const addressRate = new ConnectBuckets(init.perAddress, init.perAddress / 2, () => performance.now());
  const totalRate = new ConnectBuckets(init.total, init.total / 2, () => performance.now());
  let inFlight = 0;
  let refused = 0;
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    const address = clientAddress(socket);
    const local = isLoopbackAddress(address);
    if (!local && (inFlight >= init.maxInFlight || !addressRate.take(address) || !totalRate.take('*'))) {
      refused += 1;
      socket.destroy();
      return;
    }
    inFlight += 1;
    send({ type: 'connection' }, socket, () => {
      inFlight -= 1;
    });
  });
  // The port may still be held for a moment by the gatekeeper of a kiosk process that was just
  // killed (it exits when it notices its parent gone): retry briefly before giving up.
  const giveUpAt = Date.now() + 5000;
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' && Date.now() < giveUpAt) {
      setTimeout(listen, 200);
      return;
    }
    send({ type: 'failed', message: error.message });
    process.exit(1);
  });
  const listen = (): void => {
    server.listen({ host: init.host, port: init.port, backlog: 511 });
  };
  server.on('listening', () => {
    const address = server.address();
    send({ type: 'listening', port: typeof address === 'object' && address ? address.port : init.port });
  });
  listen();
  // The parent counts refusals for its metrics; once a second at most, not once per refusal.
  setInterval(() => {
    if (refused === 0) return;
    send({ type: 'refused', count: refused });
    refused = 0;
  }, 1000).unref();
  // The parent gone (crashed, killed): nothing to pass connections to.
  process.on('disconnect', () => process.exit(0));
}

run(JSON.parse(process.argv[2] ?? '{}') as GatekeeperInit);
