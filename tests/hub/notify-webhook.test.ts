// Signed webhooks (Standard Webhooks): the receiver verifies each request with the standardwebhooks
// library and the secret the admin route showed once; a tampered body fails; a receiver that is down
// at first gets the notice once after it comes back; a permanent 4xx and a redirect are recorded as
// failed and not retried or followed; a non-https URL is refused.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from './backends.js';
import { passage, until } from './notify-helpers.js';
import { notifyDb, startNotifyHub, type NotifyDb, type NotifyHub } from './notify-fixture.js';

const KID = 'kid-daniyar';

interface Received {
  headers: Record<string, string>;
  body: string;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

/** A receiver answering `status` (a function of the request count) and recording what it got. */
async function receiver(status: (n: number) => number, port = 0, extraHeaders: Record<string, string> = {}): Promise<{ server: Server; port: number; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      got.push({ headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])), body });
      response.writeHead(status(got.length), extraHeaders).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, got };
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('parents notifier over signed webhooks (sqlite)', () => {
  let db: NotifyDb;
  let hub: NotifyHub;
  let seq = 0;
  const servers: Server[] = [];

  beforeAll(async () => {
    db = await notifyDb('sqlite');
    const { storage, store } = await db.open();
    await storage.applyRoster([person(KID, { name: 'Daniyar Akhmetov' })]);
    hub = await startNotifyHub(storage, store, { dispatcher: { backoff: { baseMs: 150, capMs: 600 }, maxAttempts: 30 } });
  });

  afterAll(async () => {
    await hub?.close();
    await hub?.storage.close();
    await hub?.store.close();
    await Promise.all(servers.map(close));
    await db?.stop();
  });

  const guardianWithWebhook = async (url: string): Promise<{ id: string; secret: string }> => {
    const added = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'kk' });
    const id = String(added.body.guardianId);
    const set = await hub.admin('PUT', `/v1/admin/notify/guardians/${id}/webhook`, { url });
    expect(set.status).toBe(200);
    return { id, secret: String(set.body.secret) };
  };
  const push = (direction: 'in' | 'out') => hub.storage.ingest('kiosk-1', [{ event: passage(++seq, KID, direction) }], null, null, Date.now());

  it('signs each notice so that standardwebhooks verifies it, and a tampered body fails', async () => {
    const rx = await receiver(() => 204);
    servers.push(rx.server);
    const { id, secret } = await guardianWithWebhook(`http://127.0.0.1:${rx.port}/hook`);
    expect(secret).toMatch(/^whsec_/);
    await push('in');
    await until(() => rx.got.length === 1, 5_000, 'the webhook');
    const [request] = rx.got;
    if (!request) throw new Error('no request');
    const verified = new Webhook(secret).verify(request.body, request.headers) as { type: string; data: Record<string, unknown> };
    expect(verified.type).toBe('notice.arrival');
    expect(verified.data).toMatchObject({ guardianId: id, firstName: 'Daniyar', door: 'main', language: 'kk' });
    expect(request.body).not.toContain('Akhmetov');
    expect(request.headers['webhook-id']).toBe(verified.data.key);
    expect(() => new Webhook(secret).verify(request.body.replace('Daniyar', 'Someone'), request.headers)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(request.body, request.headers)).toThrow();
    await hub.admin('PUT', `/v1/admin/notify/guardians/${id}/webhook`, { url: null });
  });

  it('retries a receiver that is down until it is back, and it gets the notice once', async () => {
    const probe = await receiver(() => 204);
    const port = probe.port;
    await close(probe.server); // nothing listens there now: connection refused
    const { id } = await guardianWithWebhook(`http://127.0.0.1:${port}/hook`);
    await push('out');
    await until(async () => (await hub.store.outbox()).some((r) => r.guardianId === id && r.attempts >= 2 && r.state !== 'sent'), 5_000, 'two failed attempts');
    const rx = await receiver((n) => (n === 1 ? 503 : 200), port); // back, but its first answer is 503
    servers.push(rx.server);
    await until(async () => (await hub.store.outbox('sent')).some((r) => r.guardianId === id), 8_000, 'delivery after the receiver came back');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(rx.got).toHaveLength(2);
    expect(rx.got[0]?.headers['webhook-id']).toBe(rx.got[1]?.headers['webhook-id']);
    await hub.admin('PUT', `/v1/admin/notify/guardians/${id}/webhook`, { url: null });
  });

  it('records a permanent 4xx and a redirect as failed, after one attempt, without following it', async () => {
    const gone = await receiver(() => 410);
    const target = await receiver(() => 200);
    const redirect = await receiver(() => 302, 0, { location: `http://127.0.0.1:${target.port}/elsewhere` });
    servers.push(gone.server, target.server, redirect.server);
    const a = await guardianWithWebhook(`http://127.0.0.1:${gone.port}/hook`);
    const b = await guardianWithWebhook(`http://127.0.0.1:${redirect.port}/hook`);
    await push('in');
    await until(async () => (await hub.store.outbox('failed')).filter((r) => r.guardianId === a.id || r.guardianId === b.id).length === 2, 5_000, 'both failed');
    const failed = await hub.store.outbox('failed');
    expect(failed.find((r) => r.guardianId === a.id)).toMatchObject({ attempts: 1, lastError: 'webhook: HTTP 410' });
    expect(failed.find((r) => r.guardianId === b.id)).toMatchObject({ attempts: 1, lastError: 'webhook: redirect 302 not followed' });
    expect(target.got).toHaveLength(0);
    const listed = await hub.admin('GET', '/v1/admin/notify/outbox?state=failed');
    expect((listed.body.rows as unknown[]).length).toBe(2);
    // The operator may send a failed row again (it is tried once more); a sent row, never.
    const row = failed.find((r) => r.guardianId === a.id);
    const before = gone.got.length;
    expect((await hub.admin('POST', `/v1/admin/notify/outbox/${encodeURIComponent(row?.key ?? '')}/requeue`)).status).toBe(200);
    await until(() => gone.got.length === before + 1, 5_000, 'the requeued notice');
    const [sent] = await hub.store.outbox('sent');
    expect((await hub.admin('POST', `/v1/admin/notify/outbox/${encodeURIComponent(sent?.key ?? 'none')}/requeue`)).status).toBe(409);
  });

  it('refuses webhook URLs that are not https (plain http only to loopback, in tests)', async () => {
    const added = await hub.admin('POST', '/v1/admin/notify/guardians', { personId: KID, language: 'en' });
    const id = String(added.body.guardianId);
    for (const url of ['http://example.com/hook', 'ftp://127.0.0.1/x', 'https://user:pw@example.com/', 'not a url']) {
      expect((await hub.admin('PUT', `/v1/admin/notify/guardians/${id}/webhook`, { url })).status).toBe(400);
    }
    expect((await hub.admin('PUT', `/v1/admin/notify/guardians/${id}/webhook`, { url: 'https://sms.example.kz/esik' })).status).toBe(200);
  });
});
