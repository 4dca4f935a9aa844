// The technician API listens on a unix socket, not a TCP port: file permissions (0660, group
// esik) decide who may drive relays or erase a person, and nothing is reachable from the network.
import { chmod, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** True when something answers on the socket (another kiosk already runs with this state dir). */
export function socketInUse(socketPath: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolvePromise(true);
    });
    probe.once('error', () => resolvePromise(false));
  });
}

export async function listenAdmin(admin: FastifyInstance, socketPath: string): Promise<void> {
  if (await socketInUse(socketPath)) throw new Error(`another esik is already listening on ${socketPath}`);
  // A stale socket file from a crash would make listen fail with EADDRINUSE.
  await rm(socketPath, { force: true });
  await admin.listen({ path: socketPath });
  await chmod(socketPath, 0o660);
}
