// The payment provider's top-up webhook over a real socket, on SQLite and PostgreSQL: a payment
// signed per Standard Webhooks is applied once however often it is delivered; a tampered body, the
// wrong secret, a stale or future timestamp, a missing signature, an oversized body and an unknown
// child apply nothing (the child's balance and the provider's cash account stay as they were).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { cashAccount, openCanteenLedger, openCanteenMeals, personAccount, providerTransferId, type CanteenLedger } from '../../hub/canteen/index.js';
import { buildHub, PgHubStorage, SqliteHubStorage, type HubStorage } from '../../hub/index.js';
import { newWebhookSecret } from '../../hub/notify/webhook.js';
import { startPostgres } from '../helpers/postgres.js';
import { silentLogger, TEST_ADMIN_TOKEN } from '../sync/helpers.js';
import { NOW, person } from './backends.js';

const SECRET = newWebhookSecret();

interface Delivery {
  body: string;
  id?: string;
  atMs?: number;
  secret?: string;
  /** Sent instead of the body that was signed. */
  sentBody?: string;
}

function payment(paymentId: string, personId: string, amountTiyn: number): string {
  return JSON.stringify({ type: 'payment.succeeded', data: { paymentId, personId, amountTiyn } });
}

describe.each(['sqlite', 'postgres'] as const)('canteen top-up webhook: %s', (kind) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function openHub(): Promise<{ url: string; storage: HubStorage; ledger: CanteenLedger }> {
    let location: string;
    let storage: HubStorage;
    if (kind === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'esik-topup-webhook-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      location = join(dir, 'hub.db');
      storage = await SqliteHubStorage.open(location);
    } else {
      const server = await startPostgres();
      cleanups.push(() => server.stop());
      location = await server.createDatabase();
      storage = await PgHubStorage.open(location, silentLogger);
    }
    const ledger = await openCanteenLedger(location, silentLogger, { offlineAllowanceTiyn: 50_000 });
    const meals = await openCanteenMeals(location, storage, ledger.ledger, silentLogger);
    const app: FastifyInstance = await buildHub({
      storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN, now: () => NOW,
      canteen: { ledger: ledger.ledger, meals: meals.store, settings: meals.settings, topUpWebhookSecret: SECRET },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => storage.close(), () => ledger.close(), () => meals.close(), () => app.close());
    const address = app.server.address();
    return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, storage, ledger: ledger.ledger };
  }

  async function deliver(url: string, d: Delivery): Promise<{ status: number; json: Record<string, unknown> }> {
    const id = d.id ?? 'msg_1';
    const at = new Date(d.atMs ?? NOW);
    const signature = new Webhook(d.secret ?? SECRET).sign(id, at, d.body);
    const response = await fetch(`${url}/v1/canteen/topups/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
      body: d.sentBody ?? d.body,
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async function balance(ledger: CanteenLedger, account: string): Promise<number | null> {
    return (await ledger.account(account))?.balanceTiyn ?? null;
  }

  it('applies a signed payment once, however often it is delivered', async () => {
    const hub = await openHub();
    await hub.storage.applyRoster([person('p-1')]);
    const body = payment('pay-1001', 'p-1', 150_000);
    const first = await deliver(hub.url, { body });
    expect(first).toEqual({ status: 201, json: { status: 'applied', transferId: providerTransferId('pay-1001'), balanceAfterTiyn: 150_000 } });
    // The provider retries (same message) and resends the payment in a new message: one transfer.
    expect((await deliver(hub.url, { body })).json.status).toBe('duplicate');
    expect((await deliver(hub.url, { body, id: 'msg_2' })).status).toBe(200);
    const replays = await Promise.all([1, 2, 3, 4].map(() => deliver(hub.url, { body })));
    expect(replays.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await balance(hub.ledger, personAccount('p-1'))).toBe(150_000);
    expect(await balance(hub.ledger, cashAccount('provider'))).toBe(-150_000);
    const transfer = await hub.ledger.transfer(providerTransferId('pay-1001'));
    expect(transfer).toMatchObject({ kind: 'top_up', reference: 'pay-1001', amountTiyn: 150_000, debitAccountId: cashAccount('provider') });
    // The same payment id with another amount is not the same payment: refused, nothing changes.
    expect((await deliver(hub.url, { body: payment('pay-1001', 'p-1', 999_00), id: 'msg_3' })).status).toBe(409);
    expect(await balance(hub.ledger, personAccount('p-1'))).toBe(150_000);
  });

  it('applies nothing for a tampered body, a wrong secret, a stale timestamp, no signature, a big body or an unknown child', async () => {
    const hub = await openHub();
    await hub.storage.applyRoster([person('p-2')]);
    const body = payment('pay-2001', 'p-2', 50_000);
    const tampered = await deliver(hub.url, { body, sentBody: payment('pay-2001', 'p-2', 5_000_000) });
    expect(tampered.status).toBe(401);
    expect(tampered.json.error).toBe('bad_signature');
    expect((await deliver(hub.url, { body, secret: newWebhookSecret() })).status).toBe(401);
    const stale = await deliver(hub.url, { body, atMs: NOW - 6 * 60_000 });
    expect(stale).toMatchObject({ status: 401, json: { error: 'stale_timestamp' } });
    expect((await deliver(hub.url, { body, atMs: NOW + 6 * 60_000 })).status).toBe(401);
    const unsigned = await fetch(`${hub.url}/v1/canteen/topups/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    // A signed body that is not JSON at all is only parsed after the signature: 400, not 500.
    expect((await deliver(hub.url, { body: '{"type":' })).status).toBe(400);
    expect((await deliver(hub.url, { body: JSON.stringify({ pad: 'x'.repeat(9000) }) })).status).toBe(413);
    // Another kind of event from the provider is acknowledged and moves nothing.
    expect(await deliver(hub.url, { body: JSON.stringify({ type: 'payment.refunded', data: { paymentId: 'pay-2001' } }) })).toEqual({ status: 202, json: { status: 'ignored', type: 'payment.refunded' } });
    const unknown = await deliver(hub.url, { body: payment('pay-2002', 'p-404', 50_000) });
    expect(unknown).toMatchObject({ status: 422, json: { error: 'unknown_person' } });
    expect(await hub.ledger.transfer(providerTransferId('pay-2002'))).toBeNull();
    expect(await hub.ledger.account(personAccount('p-404'))).toBeNull();
    expect(await hub.ledger.transfer(providerTransferId('pay-2001'))).toBeNull();
    expect(await balance(hub.ledger, personAccount('p-2'))).toBeNull();
    // And the genuine delivery still goes through afterwards.
    expect((await deliver(hub.url, { body })).status).toBe(201);
    expect(await balance(hub.ledger, personAccount('p-2'))).toBe(50_000);
  });
});
