// Finding 8 of the security review: sixty lobby clients each repeating hello {sinceSeq: 0} every
// 550 ms (under the per-client limit) made the kiosk build one ~31 KB snapshot from SQLite per
// hello on the door's thread. Here the same flood runs against a real kiosk slice, with arrivals
// committed meanwhile, in both board modes: the store feed's own count of snapshot builds must stay
// within the global budget (one a second), and every client must still get exactly the snapshot the
// store would give (the arrivals of the day, every group's counts, the newest seq).
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import type { BoardSnapshot } from '../../display/index.js';
import { BoardHarness, pupil } from './harness.js';

const CLIENTS = 60;
const HELLO_EVERY_MS = 550;
const FLOOD_MS = 3300;
const PEOPLE = Array.from({ length: 12 }, (_, i) => pupil(`p${i}`, `Оқушы ${i} Тестов`, i % 3 === 0 ? '5Б' : i % 3 === 1 ? '6А' : '7В'));

interface FloodClient {
  socket: Socket;
  snapshots: BoardSnapshot[];
}

let harness: BoardHarness | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await harness?.cleanup();
  harness = null;
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function floodClient(url: string): FloodClient {
  const socket = connect(`${url}/board`, { transports: ['websocket'], forceNew: true, reconnection: false });
  sockets.push(socket);
  const client: FloodClient = { socket, snapshots: [] };
  socket.on('snapshot', (snapshot: BoardSnapshot) => client.snapshots.push(snapshot));
  return client;
}

function socketUrl(h: BoardHarness): string {
  const board = h.parts.board;
  return 'port' in board ? `http://127.0.0.1:${board.port}` : h.url;
}

describe.each([
  { mode: 'on its own thread', thread: true },
  { mode: "on the kiosk's event loop", thread: false },
])('a hello flood with the board $mode', ({ thread }) => {
  it('builds at most one snapshot a second from the store, and every client gets the store\'s snapshot', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, thread });
    const h = harness;
    for (const id of ['p0', 'p1', 'p2']) await h.present(id);
    const clients = Array.from({ length: CLIENTS }, () => floodClient(socketUrl(h)));
    await until(() => clients.every((c) => c.socket.connected), 'every client connected');

    const buildsBefore = h.parts.feed.snapshotBuilds;
    const started = Date.now();
    const timers = clients.map((c, i) =>
      setTimeout(() => {
        c.socket.emit('hello', { sinceSeq: 0 });
        timers[i] = setInterval(() => c.socket.emit('hello', { sinceSeq: 0 }), HELLO_EVERY_MS);
      }, (i * HELLO_EVERY_MS) / CLIENTS),
    );
    let presented = 3;
    try {
      while (Date.now() - started < FLOOD_MS) {
        await h.present(PEOPLE[presented % PEOPLE.length].id, presented < PEOPLE.length ? 'in' : 'out');
        presented += 1;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
    const floodMs = Date.now() - started;
    const builds = h.parts.feed.snapshotBuilds - buildsBefore;
    // Every client was answered all along (a client gets at most one snapshot a second).
    for (const c of clients) expect(c.snapshots.length).toBeGreaterThanOrEqual(Math.floor(floodMs / 1000) - 1);
    expect(builds).toBeLessThanOrEqual(Math.ceil(floodMs / 1000) + 1);

    // Once the arrivals settle, one more hello each: every answer is what the store says now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const counted = clients.map((c) => c.snapshots.length);
    for (const c of clients) c.socket.emit('hello', { sinceSeq: 0 });
    await until(() => clients.every((c, i) => c.snapshots.length > counted[i]), 'a last snapshot at every client');
    const truth = await h.parts.feed.snapshot(0);
    expect(truth.arrivals).toHaveLength(presented);
    for (const c of clients) expect(c.snapshots.at(-1)).toEqual(truth);
  }, 30_000);
});
