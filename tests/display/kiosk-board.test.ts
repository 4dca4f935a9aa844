// The board inside the real kiosk (startKiosk on a temp config, the composition root's own fastify
// and the board's socket server on its own thread and port): a card at the simulated reader reaches a board client, the kiosk LCD twin
// greets in the configured language, the matrix twin shows the count and the name, and the page
// route is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { adminRequest } from '../../device/admin/index.js';
import { SimulatedCardReader } from '../../device/hw/index.js';
import type { KioskDecision } from '../../device/kiosk/index.js';
import { startKiosk, type RunningKiosk } from '../../device/main.js';
import type { BoardArrival } from '../../display/index.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';

let dir: DaemonDir;
let kiosk: RunningKiosk;
let board: Socket;
const arrivals: BoardArrival[] = [];

beforeAll(async () => {
  dir = await daemonDir({ board: { language: 'en', bellTime: '08:00', matrix: { driver: 'sim' }, lcd: { driver: 'sim', holdMs: 60_000 } } });
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
  // The board's socket server runs on its own thread and port (board.thread, on by default).
  const socketPort = (await boardStatus()).socketPort;
  board = connect(`http://127.0.0.1:${socketPort}/board`, { transports: ['websocket'], forceNew: true, reconnection: false });
  board.on('connect', () => board.emit('hello', {}));
  board.on('arrivals', (message: { arrivals: BoardArrival[] }) => arrivals.push(...message.arrivals));
  await new Promise<void>((resolve) => board.once('snapshot', () => resolve()));
}, 120_000);

afterAll(async () => {
  board?.disconnect();
  await kiosk?.stop('test');
  await dir?.cleanup();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface BoardStatus {
  clients: number;
  socketPort: number;
  matrix: { lines: string[] };
  lcd: { lines: string[] };
}

async function boardStatus(): Promise<BoardStatus> {
  const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as Record<string, unknown>;
  return status.board as BoardStatus;
}

describe('the board in the kiosk', () => {
  it('a granted card reaches the board, the LCD greets and the matrix counts', async () => {
    const reader = kiosk.services.readers.get('main-in') as SimulatedCardReader;
    const decided = new Promise<KioskDecision>((resolve) => kiosk.services.kiosk.once('decision', resolve));
    reader.present('04A2B91C');
    const decision = await decided;
    expect(decision.outcome).toBe('grant');
    await until(() => arrivals.length === 1, 'the arrival at the board client');
    expect(arrivals[0]).toMatchObject({ seq: decision.event?.seq, displayName: 'Айгерім С.', group: '5Б', direction: 'in' });
    const status = await boardStatus();
    expect(status.clients).toBe(1);
    expect(status.lcd.lines).toEqual(['Welcome,', 'Айгерім']);
    expect(status.matrix.lines).toEqual(['1', 'Айгерім С.']);
  });

  it('a blocked card is denied with its reason on the LCD and nothing on the board', async () => {
    const reader = kiosk.services.readers.get('main-in') as SimulatedCardReader;
    const decided = new Promise<KioskDecision>((resolve) => kiosk.services.kiosk.once('decision', resolve));
    reader.present('04A2B924');
    expect((await decided).outcome).toBe('deny');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await boardStatus()).lcd.lines).toEqual(['Access denied', 'Blocked']);
    expect(arrivals).toHaveLength(1);
  });

  it('serves the page from the kiosk HTTP server, pointing it at the board thread\'s port', async () => {
    const address = kiosk.services.http.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const { socketPort } = await boardStatus();
    expect(socketPort).toBeGreaterThan(0);
    expect(socketPort).not.toBe(port);
    const page = await fetch(`http://127.0.0.1:${port}/board`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/socket.io/socket.io.js');
    expect(html).toContain(`<meta name="esik-board-port" content="${socketPort}">`);
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://*:${socketPort} wss://*:${socketPort}`);
    expect(await (await fetch(`http://127.0.0.1:${port}/board/socket.json`)).json()).toEqual({ port: socketPort });
    expect((await fetch(`http://127.0.0.1:${port}/socket.io/socket.io.js`)).status).toBe(200);
  });
});
