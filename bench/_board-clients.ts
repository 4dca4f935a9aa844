// Child process of bench/board.ts: N lobby-board clients (socket.io-client over websocket) connected
// to the kiosk's /board namespace, each doing the catch-up handshake and then reading live arrivals,
// like N TVs in a school. Prints {"ready":N} once all have their snapshot, and on SIGTERM prints
// {"received": total arrivals} and exits.
import { io } from 'socket.io-client';

const [url, countText] = process.argv.slice(2);
const count = Number(countText ?? '50');
let snapshots = 0;
let received = 0;
const sockets = Array.from({ length: count }, () => {
  const socket = io(`${url}/board`, { transports: ['websocket'], forceNew: true, reconnection: false });
  socket.on('connect', () => socket.emit('hello', {}));
  socket.on('snapshot', () => {
    snapshots += 1;
    if (snapshots === count) console.log(JSON.stringify({ ready: count }));
  });
  socket.on('arrivals', (message: { arrivals: unknown[] }) => {
    received += message.arrivals.length;
  });
  return socket;
});

process.on('SIGTERM', () => {
  for (const socket of sockets) socket.disconnect();
  console.log(JSON.stringify({ received }));
  process.exit(0);
});
