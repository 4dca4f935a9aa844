// Child process of bench/board.ts: N lobby-board clients (socket.io-client over websocket) connected
// to the kiosk's /board namespace, each doing the catch-up handshake and then reading live arrivals,
// like N TVs in a school. Reads commands on stdin: "on" connects all (prints {"ready":N} once every
// one has its snapshot), "off" disconnects all (prints {"off":true}). On SIGTERM prints
// {"received": total arrivals} and exits.
import { createInterface } from 'node:readline';
import { io, type Socket } from 'socket.io-client';

const [url, countText] = process.argv.slice(2);
const count = Number(countText ?? '50');
let received = 0;
let sockets: Socket[] = [];

function connectAll(): void {
  let snapshots = 0;
  sockets = Array.from({ length: count }, () => {
    const socket = io(`${url}/board`, { transports: ['websocket'], forceNew: true, reconnection: false });
    socket.on('connect', () => socket.emit('hello', {}));
    socket.once('snapshot', () => {
      snapshots += 1;
      if (snapshots === count) console.log(JSON.stringify({ ready: count }));
    });
    socket.on('arrivals', (message: { arrivals: unknown[] }) => {
      received += message.arrivals.length;
    });
    return socket;
  });
}

function disconnectAll(): void {
  for (const socket of sockets) socket.disconnect();
  sockets = [];
  console.log(JSON.stringify({ off: true }));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'on') connectAll();
  else if (line.trim() === 'off') disconnectAll();
});

process.on('SIGTERM', () => {
  for (const socket of sockets) socket.disconnect();
  console.log(JSON.stringify({ received }));
  process.exit(0);
});
