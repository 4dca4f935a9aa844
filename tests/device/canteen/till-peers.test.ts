// Tills that can reach each other over the school network never serve one free meal twice: two
// real tills (own stores, peer routes on real HTTP ports) ask each other before a free meal. A meal
// served at one is refused at the other; both confirming the same child at once serve it exactly
// once; a till whose peer is unreachable serves (the hub flags a double serving at sync, see
// till-sync.test.ts); a claim without the shared token is refused before its body is read.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CanteenTill, HttpTillPeers, PEER_CLAIM_PATH, registerPeerRoute, type TillDiner } from '../../../device/canteen/index.js';
import type { Store } from '../../../sync/store/index.js';
import { openKioskStore, tempDir } from '../../sync/helpers.js';
import { ALL_DAY, card, directoryOf, diners, FREE_CHILD } from './till-fixtures.js';

const TOKEN = 'canteen-peers-token-0123456789';
const clock = { wallMs: () => Date.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
const TWIN: TillDiner = { ...FREE_CHILD, id: 'p-twin', displayName: 'Aruzhan S.' };

describe('tills that reach each other', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  const stores: Store[] = [];
  const apps: FastifyInstance[] = [];
  const tills = new Map<string, CanteenTill>();
  const urls = new Map<string, string>();

  async function listen(name: string, till: () => CanteenTill): Promise<void> {
    const app = Fastify();
    await registerPeerRoute(app, { till: { peerClaim: (claim) => till().peerClaim(claim) } as CanteenTill, token: TOKEN });
    await app.listen({ port: 0, host: '127.0.0.1' });
    apps.push(app);
    const address = app.server.address();
    urls.set(name, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  }

  async function till(name: string, peerUrls: string[]): Promise<CanteenTill> {
    const store = await openKioskStore(join(tmp.dir, `${name}.db`), name, randomBytes(32).toString('hex'));
    stores.push(store);
    const data = diners(Date.now() - 1000);
    const free = data.diners['p-free'];
    if (free) data.diners['p-twin'] = free;
    const station = new CanteenTill({
      till: name, deviceId: name, events: store.events, directory: directoryOf(data), context: ALL_DAY, clock, staleAfterMs: 60_000,
      peers: new HttpTillPeers({ urls: peerUrls, token: TOKEN, timeoutMs: 500 }),
    });
    await station.start();
    tills.set(name, station);
    return station;
  }

  beforeAll(async () => {
    tmp = await tempDir('esik-till-peers-');
    for (const name of ['till-a', 'till-b']) await listen(name, () => tills.get(name) as CanteenTill);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    await tmp?.cleanup();
  });

  const meals = (station: CanteenTill, personId: string): number => station.meals().filter((m) => m.personId === personId && m.free).length;

  it('refuses at one till a free meal the other served, and serves a meal confirmed at both at once exactly once', async () => {
    const a = await till('till-a', [urls.get('till-b') ?? '']);
    const b = await till('till-b', [urls.get('till-a') ?? '']);
    expect((await a.confirm(a.present(card(FREE_CHILD)).proposalId)).status).toBe('served');
    // Till B's hub data do not know of it, but A's claim reached B: B shows it as served.
    const atB = b.present(card(FREE_CHILD));
    expect(atB.decision).toMatchObject({ outcome: 'refuse', reason: 'already_served_free' });
    expect((await b.confirm(atB.proposalId)).status).toBe('refused');
    expect(meals(b, FREE_CHILD.id)).toBe(0);

    // The twin at both tills in the same instant: both ask each other; exactly one serves.
    const [ra, rb] = await Promise.all([a.confirm(a.present(card(TWIN)).proposalId), b.confirm(b.present(card(TWIN)).proposalId)]);
    expect([ra.status, rb.status].sort()).toEqual(['refused', 'served']);
    expect(meals(a, TWIN.id) + meals(b, TWIN.id)).toBe(1);
  }, 30_000);

  it('serves when the peer cannot be reached, and refuses a claim without the token', async () => {
    const closed = Fastify();
    await closed.listen({ port: 0, host: '127.0.0.1' });
    const address = closed.server.address();
    const gone = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    await closed.close();
    const lonely = await till('till-c', [gone]);
    expect((await lonely.confirm(lonely.present(card(FREE_CHILD)).proposalId)).status).toBe('served');

    const claim = { personId: 'p-free', date: '2026-09-01', periodId: 'lunch', till: 'till-x' };
    const noToken = await fetch(`${urls.get('till-a') ?? ''}${PEER_CLAIM_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(claim) });
    expect(noToken.status).toBe(401);
    const wrong = await fetch(`${urls.get('till-a') ?? ''}${PEER_CLAIM_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify(claim) });
    expect(wrong.status).toBe(401);
  }, 30_000);
});
