// Connections held open on the hub by one client: capped per address (lib/connection-limits.ts,
// with the hub's wider caps), while another address still pushes. Real hub on a real socket.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pushEvents, registerDevice, startInProcessHub, wireEvent, type InProcessHub } from './helpers.js';

let hub: InProcessHub | null = null;
const opened: Socket[] = [];

afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy();
  await hub?.close();
  hub = null;
});

async function holdOpen(port: number, from: string, count: number): Promise<number> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<Socket>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1', localAddress: from });
        socket.on('error', () => undefined);
        socket.once('connect', () => resolve(socket));
        socket.once('close', () => resolve(socket));
      }),
    ),
  );
  opened.push(...sockets);
  await new Promise((r) => setTimeout(r, 500));
  return sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
}

describe('hub connections', () => {
  it('one address keeps at most 128 silent connections; a kiosk elsewhere still pushes', async () => {
    hub = await startInProcessHub({});
    const token = await registerDevice(hub, 'kiosk-1');
    expect(await holdOpen(hub.port, '127.0.0.2', 200)).toBe(128);
    const answer = await pushEvents(hub, 'kiosk-1', token, { events: [wireEvent(1)] });
    expect(answer.status).toBe(200);
  }, 60_000);
});
