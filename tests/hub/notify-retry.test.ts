// Retries: Telegram's 429 with retry_after (answered by a proxy in front of the emulator, which has no
// rate limit of its own) is waited out and the notice then sent once; a webhook receiver that keeps
// failing is tried maxAttempts times with back-off and the notice recorded failed for the operator.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from './backends.js';
import { BOT_TOKEN, passage, startEmulator, until, type Emulator } from './notify-helpers.js';
import { notifyDb, startNotifyHub, type NotifyDb, type NotifyHub } from './notify-fixture.js';

const KID = 'kid-retry';

/** Forwards to the emulator, but answers the first sendMessage with 429 retry_after=1. */
async function throttlingProxy(target: string): Promise<{ server: Server; url: string; throttledAt: number[] }> {
  const throttledAt: number[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (request.url?.endsWith('/sendMessage') && throttledAt.length === 0) {
        throttledAt.push(Date.now());
        response.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }));
        return;
      }
      void fetch(`${target}${request.url ?? ''}`, { method: request.method, headers: { 'content-type': request.headers['content-type'] ?? 'application/json' }, body: request.method === 'GET' ? undefined : Buffer.concat(chunks) })
        .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, throttledAt };
}

describe('notifier retries (sqlite)', () => {
  let db: NotifyDb;
  let tg: Emulator;
  let proxy: Awaited<ReturnType<typeof throttlingProxy>>;
  let hub: NotifyHub;
  let failing: Server;
  let failingHits = 0;

  beforeAll(async () => {
    db = await notifyDb('sqlite');
    tg = await startEmulator();
    proxy = await throttlingProxy(tg.apiRoot);
    failing = createServer((request, response) => {
      failingHits += 1;
      request.resume();
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const { storage, store } = await db.open();
    await storage.applyRoster([person(KID, { name: 'Ruslan Bek' })]);
    hub = await startNotifyHub(storage, store, {
      telegram: { token: BOT_TOKEN, apiRoot: proxy.url },
      dispatcher: { maxAttempts: 3, backoff: { baseMs: 100, capMs: 400 } },
    });
  });

  afterAll(async () => {
    await hub?.close();
    await hub?.storage.close();
    await hub?.store.close();
    await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    await new Promise<void>((resolve) => failing.close(() => resolve()));
    await tg?.stop();
    await db?.stop();
  });

  it("honours Telegram's retry_after, then sends once; gives a failing webhook up after maxAttempts", async () => {
    const added = await hub.notifier.links.addGuardian(KID, 'en');
    if (!added) throw new Error('no guardian');
    expect((await hub.notifier.links.redeem('901', added.code)).ok).toBe(true);
    await hub.store.setWebhook(added.guardianId, `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hook`, 'whsec_' + Buffer.alloc(32, 1).toString('base64'));
    await hub.storage.ingest('kiosk-1', [{ event: passage(1, KID, 'in') }], null, null, Date.now());

    const [message] = await tg.waitFor(901, 1, 6_000);
    const deliveredAt = Date.now();
    expect(message).toMatch(/^Ruslan arrived/);
    expect(proxy.throttledAt).toHaveLength(1);
    expect(deliveredAt - (proxy.throttledAt[0] ?? 0)).toBeGreaterThanOrEqual(1_000);

    await until(async () => (await hub.store.outbox('failed')).length === 1, 6_000, 'the webhook to be given up');
    // The emulator has the message before the dispatcher records it sent (after the answer).
    await until(async () => (await hub.store.outbox('sent')).length === 1, 6_000, 'the Telegram row recorded sent');
    const rows = await hub.store.outbox();
    expect(rows.find((r) => r.channel === 'telegram')).toMatchObject({ state: 'sent', attempts: 2 });
    expect(rows.find((r) => r.channel === 'webhook')).toMatchObject({ state: 'failed', attempts: 3, lastError: 'webhook: HTTP 503' });
    expect(failingHits).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(tg.sent(901)).toHaveLength(1);
    expect(failingHits).toBe(3);
  });
});
