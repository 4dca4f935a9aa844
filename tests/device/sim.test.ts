// The simulator page end to end in-process: the real kiosk on a temp config, a socket.io client
// on /sim presenting a card, the decision and the relay state coming back live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { pino } from 'pino';
import { startKiosk, type RunningKiosk } from '../../device/main.js';
import { loopbackOnly } from '../../device/sim/index.js';
import { daemonDir, type DaemonDir } from './daemon.js';

let dir: DaemonDir;
let kiosk: RunningKiosk;
let base: string;

beforeAll(async () => {
  dir = await daemonDir();
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
  const address = kiosk.services.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no http address');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await kiosk.stop('test');
  await dir.cleanup();
});

function once<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (payload: T) => resolve(payload)));
}

describe('simulator page', () => {
  it('serves the page and its script', async () => {
    const page = await fetch(`${base}/sim`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/socket.io/socket.io.js');
    expect((await fetch(`${base}/sim/sim.js`)).status).toBe(200);
    expect((await fetch(`${base}/sim/../../package.json`)).status).toBe(404);
  });

  it('presents a clicked card and shows the decision, the name and the relay released, live', async () => {
    const socket = connect(`${base}/sim`, { transports: ['websocket'] });
    try {
      const hello = await once<{ cards: Array<{ value: string; name: string }>; hardware: { relays: Record<string, boolean> } }>(socket, 'hello');
      expect(hello.cards.find((c) => c.value === '0A11C0DE')?.name).toBe('Гүлнара Омарова');
      expect(hello.hardware.relays['main.relay']).toBe(false);
      const broadcast = once<{ outcome: string }>(socket, 'decision');
      const hardware = new Promise<Record<string, boolean>>((resolve) => {
        socket.on('hardware', (view: { relays: Record<string, boolean> }) => {
          if (view.relays['main.relay'] === true) resolve(view.relays);
        });
      });
      const answer = await new Promise<Record<string, unknown>>((resolve) => socket.emit('present', { kind: 'card', value: '0A11C0DE', door: 'main', direction: 'in' }, resolve));
      expect(answer).toMatchObject({ outcome: 'grant', name: 'Гүлнара Омарова', door: 'main', reason: null });
      expect((await broadcast).outcome).toBe('grant');
      expect((await hardware)['main.relay']).toBe(true);

      const denied = await new Promise<Record<string, unknown>>((resolve) => socket.emit('present', { kind: 'card', value: '04A2B924', door: 'main', direction: 'in' }, resolve));
      expect(denied).toMatchObject({ outcome: 'deny', reason: 'blocked' });
      const garbage = await new Promise<Record<string, unknown>>((resolve) => socket.emit('present', { value: '', door: 'main' }, resolve));
      expect(garbage.error).toBeTruthy();
    } finally {
      socket.close();
    }
  });

  it('refuses anything but loopback until a PIN guard is plugged in', () => {
    expect(loopbackOnly('127.0.0.1', {})).toBe(true);
    expect(loopbackOnly('::ffff:127.0.0.1', {})).toBe(true);
    expect(loopbackOnly('192.168.1.20', {})).toBe(false);
    expect(loopbackOnly(undefined, {})).toBe(false);
  });
});
