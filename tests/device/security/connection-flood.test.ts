// Connections held open by one client on the kiosk's HTTP port and the board thread's port: each
// costs the kiosk a descriptor and memory until Node's 60 s headers timeout, so one laptop looping
// on connect() could run the kiosk out of memory. Against the real kiosk in-process (real HTTP
// server, real board thread), from second loopback addresses the kiosk treats as remote.
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedCardReader } from '../../../device/hw/sim/readers.js';
import type { KioskDecision } from '../../../device/kiosk/index.js';
import { startKiosk, type RunningKiosk } from '../../../device/main.js';
import { DEFAULT_CONNECTION_LIMITS } from '../../../lib/index.js';
import { daemonDir, type DaemonDir } from '../daemon.js';

const LOCAL = '127.0.0.1';

let dir: DaemonDir;
let kiosk: RunningKiosk;
let httpPort = 0;
let boardPort = 0;
const opened: Socket[] = [];

/** Opens `count` silent connections from `from`; resolves with how many the server left open after a moment. */
async function holdOpen(port: number, from: string, count: number): Promise<number> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect({ port, host: LOCAL, localAddress: from });
        socket.on('error', () => undefined);
        socket.once('connect', () => resolve(socket));
        socket.once('close', () => resolve(socket));
        setTimeout(() => reject(new Error('no connect')), 5000);
      }),
    ),
  );
  opened.push(...sockets);
  await new Promise((r) => setTimeout(r, 500));
  return sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
}

function presentCard(card: string): Promise<KioskDecision> {
  const decided = new Promise<KioskDecision>((resolve) => {
    const onDecision = (decision: KioskDecision): void => {
      if (decision.door !== 'main' || decision.kind !== 'card') return;
      kiosk.services.kiosk.off('decision', onDecision);
      resolve(decision);
    };
    kiosk.services.kiosk.on('decision', onDecision);
  });
  (kiosk.services.readers.get('main-in') as SimulatedCardReader).present(card);
  return decided;
}

beforeAll(async () => {
  dir = await daemonDir({ http: { host: LOCAL, port: 0 } });
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
  const address = kiosk.services.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no http address');
  httpPort = address.port;
  const answer = await fetch(`http://${LOCAL}:${httpPort}/board/socket.json`);
  boardPort = ((await answer.json()) as { port: number }).port;
}, 60_000);

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  await kiosk?.stop('test');
  await dir?.cleanup();
});

describe('connections held open by a network client', () => {
  it('one address keeps at most its share on the kiosk port; another address and the door are still served', async () => {
    const { perAddress } = DEFAULT_CONNECTION_LIMITS;
    expect(await holdOpen(httpPort, '127.0.0.2', perAddress + 150)).toBe(perAddress);
    const other = await fetch(`http://${LOCAL}:${httpPort}/board/socket.json`).then((r) => r.status);
    expect(other).toBe(200);
    const decision = await presentCard('0A11C0DE');
    expect(decision.outcome).toBe('grant');
  }, 60_000);

  it('all remote clients together are capped; the kiosk itself (loopback) is not', async () => {
    const { perAddress, total } = DEFAULT_CONNECTION_LIMITS;
    let held = perAddress; // 127.0.0.2's, from the test before
    for (let i = 3; held < total; i += 1) held += await holdOpen(httpPort, `127.0.0.${i}`, perAddress);
    expect(held).toBe(total);
    expect(await holdOpen(httpPort, '127.0.1.1', 10)).toBe(0);
    expect(await holdOpen(httpPort, LOCAL, 40)).toBe(40);
  }, 60_000);

  it('the board thread caps one address the same way', async () => {
    const { perAddress } = DEFAULT_CONNECTION_LIMITS;
    expect(await holdOpen(boardPort, '127.0.2.2', perAddress + 50)).toBe(perAddress);
  }, 60_000);
});
