// Child process of bench/board.ts: N lobby-board clients (socket.io-client over websocket) connected
// to the kiosk's /board namespace, each doing the catch-up handshake and then reading live arrivals,
// like N TVs in a school. Reads commands on stdin: "on" connects all (prints {"ready":N} once every
// one has its snapshot), "newest SEQ" prints {"caughtUp":K} once every client has seen arrival SEQ
// or after 5 s (K clients have), "off" disconnects all (prints {"off":true}).
import { createInterface } from 'node:readline';
import { io, type Socket } from 'socket.io-client';

const [url, countText] = process.argv.slice(2);
const count = Number(countText ?? '50');
let sockets: Socket[] = [];
/** The newest arrival seq each connected client has seen (live batches carry the newest arrivals). */
let newestSeen = new Map<Socket, number>();

function see(socket: Socket, seqs: number[]): void {
  newestSeen.set(socket, Math.max(newestSeen.get(socket) ?? 0, ...seqs));
}

function connectAll(): void {
  let snapshots = 0;
  if (count === 0) console.log(JSON.stringify({ ready: 0 }));
  sockets = Array.from({ length: count }, () => {
    const socket = io(`${url}/board`, { transports: ['websocket'], forceNew: true, reconnection: false });
    socket.on('connect', () => socket.emit('hello', {}));
    socket.once('snapshot', (snapshot: { lastSeq: number }) => {
      see(socket, [snapshot.lastSeq]);
      snapshots += 1;
      if (snapshots === count) console.log(JSON.stringify({ ready: count }));
    });
    socket.on('arrivals', (message: { arrivals: Array<{ seq: number }> }) => see(socket, message.arrivals.map((a) => a.seq)));
    return socket;
  });
}

function reportCaughtUp(seq: number, deadline: number): void {
  const caughtUp = sockets.filter((socket) => (newestSeen.get(socket) ?? 0) >= seq).length;
  if (caughtUp === sockets.length || Date.now() > deadline) console.log(JSON.stringify({ caughtUp }));
  else setTimeout(() => reportCaughtUp(seq, deadline), 10);
}

function disconnectAll(): void {
  for (const socket of sockets) socket.disconnect();
  sockets = [];
  newestSeen = new Map();
  console.log(JSON.stringify({ off: true }));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'on') connectAll();
  else if (line.trim() === 'off') disconnectAll();
  else if (line.startsWith('newest ')) reportCaughtUp(Number(line.slice(7)), Date.now() + 5000);
});

process.on('SIGTERM', () => {
  for (const socket of sockets) socket.disconnect();
  process.exit(0);
});
