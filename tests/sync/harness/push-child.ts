// A kiosk-side process for crash tests: opens the real store file, records events, and pushes
// them with the real SyncClient until its outbox is empty (or until the test kills it with -9).
import { SyncClient } from '../../../sync/client/index.js';
import { appendEvents, openKioskStore, silentLogger } from '../helpers.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing ${name}`);
  return value;
}

async function main(): Promise<void> {
  const store = await openKioskStore(env('ESIK_TEST_DB'), env('ESIK_TEST_DEVICE'), env('ESIK_TEST_KEY'));
  const before = Number(process.env.ESIK_TEST_APPEND_BEFORE ?? '0');
  const during = Number(process.env.ESIK_TEST_APPEND_DURING ?? '0');
  await appendEvents(store, before, 50);
  const client = new SyncClient({
    baseUrl: env('ESIK_TEST_HUB'),
    deviceId: env('ESIK_TEST_DEVICE'),
    token: () => Promise.resolve(env('ESIK_TEST_TOKEN')),
    outbox: store.outbox,
    roster: store.roster,
    logger: silentLogger,
    batchSize: Number(process.env.ESIK_TEST_BATCH ?? '50'),
    backoff: { baseMs: 10, capMs: 100 },
    requestTimeoutMs: 5_000,
  });
  process.stdout.write('ready\n');
  const recording = appendEvents(store, during, 10);
  let recordingDone = false;
  void recording.then(() => (recordingDone = true));
  for (;;) {
    const result = await client.syncNow();
    const backlog = await store.outbox.backlog();
    if (result.ok && recordingDone && backlog.pending === 0) break;
    if (!result.ok) await new Promise((r) => setTimeout(r, 20));
  }
  await recording;
  await store.close();
  process.stdout.write('drained\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
