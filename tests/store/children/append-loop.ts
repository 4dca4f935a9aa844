// Child process for the crash test: appends events in concurrent bursts forever and prints the
// seq of every append that resolved (i.e. was reported durable). The parent kills it with SIGKILL.
import { pino } from 'pino';
import { createFieldCipher, openStore } from '../../../sync/store/index.js';

const [path, bootId] = process.argv.slice(2) as [string, string];
const store = await openStore({
  path, deviceId: 'dev-crash', bootId, logger: pino({ level: 'silent' }),
  cipher: createFieldCipher(Buffer.alloc(32, 1), 'k-crash'),
  clock: { wallMs: () => Date.now(), monoMs: () => performance.now(), trusted: () => true, utcOffsetMinutes: () => 300 },
});
process.stdout.write(`ready ${store.events.lastSeq()}\n`);
for (;;) {
  const burst = Array.from({ length: 1 + Math.floor(Math.random() * 20) }, (_, i) =>
    store.events.append({ type: 'access.granted', door: 'main', direction: 'in', personId: `p-${i}`, credential: null, reason: null }).then((e) => {
      process.stdout.write(`${e.seq}\n`);
    }),
  );
  await Promise.all(burst);
}
