// The /board socket.io namespace with raw socket.io clients against a real kiosk slice: catch-up by
// seq, privacy of everything a client receives, token access, and isolation from garbage, floods,
// oversized messages, too many clients and a client that stops reading.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import type { BoardServer, BoardSnapshot } from '../../display/index.js';
import { BoardTokens, isLoopback } from '../../display/index.js';
import { BoardHarness, cardOf, pupil } from './harness.js';

const PEOPLE = [
  pupil('p1', 'Айгерім Сейтқали', '5Б', { displayConsent: 'short' }),
  pupil('p2', 'Нұрлан Әбенов', '5Б', { displayConsent: 'initials' }),
  pupil('p3', 'Dana Smith', '6А', { displayConsent: 'none' }),
  pupil('p4', 'Ерлан Жақсыбеков', '6А', { displayConsent: 'short' }),
];
const TOKEN = 'lobby-tv-token-0123456789';

interface Received {
  socket: Socket;
  frames: Array<{ event: string; payload: unknown }>;
  seqs(): number[];
}

function client(url: string, auth: Record<string, unknown> = {}, agent?: Agent): Received {
  // engine.io-client types `agent` as string | boolean (its browser build); in Node it hands the value
  // to ws as the request agent, which is how the "remote" client picks its loopback source address.
  const nodeAgent = agent as unknown as string | undefined;
  const socket = connect(`${url}/board`, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...(agent ? { agent: nodeAgent } : {}) });
  const frames: Received['frames'] = [];
  socket.onAny((event: string, payload: unknown) => frames.push({ event, payload }));
  return {
    socket,
    frames,
    seqs: () =>
      frames.flatMap((f) => {
        if (f.event === 'snapshot') return (f.payload as BoardSnapshot).arrivals.map((a) => a.seq);
        if (f.event === 'arrivals') return (f.payload as { arrivals: Array<{ seq: number }> }).arrivals.map((a) => a.seq);
        return [];
      }),
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function hello(c: Received, sinceSeq?: number): Promise<void> {
  c.socket.emit('hello', sinceSeq === undefined ? {} : { sinceSeq });
  return until(() => c.frames.some((f) => f.event === 'snapshot'), 'snapshot');
}

// Test traffic never leaves loopback: the "remote" viewer connects from source address 127.0.0.2,
// and the board is told that only 127.0.0.1 is local, so that client must pass the real token check.
const REMOTE_SOURCE = '127.0.0.2';
const onlyOneLocal = (a: string | undefined): boolean => a === '127.0.0.1' || a === '::ffff:127.0.0.1';

/** GET from REMOTE_SOURCE to the board on 127.0.0.1. */
function remoteGet(port: number, path: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: REMOTE_SOURCE, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

let harness: BoardHarness | null = null;
const clients: Received[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await harness?.cleanup();
  harness = null;
});

describe('board namespace protocol', () => {
  it('sends setup and a snapshot, then live arrivals; a reconnect with sinceSeq gets only what it missed', async () => {
    harness = await BoardHarness.start({ people: PEOPLE });
    await harness.present('p1');
    const first = client(harness.url);
    clients.push(first);
    await hello(first);
    expect(first.frames[0]?.event).toBe('setup');
    expect((first.frames[0]?.payload as { labels: { title: string } }).labels.title).toBe('Мектепке келгендер');
    // Wait for p2's own seq: p1's batched live broadcast may also reach the client after its hello.
    const p2 = await harness.present('p2');
    await until(() => first.seqs().includes(p2!.event!.seq), 'live arrival');
    const lastSeen = Math.max(...first.seqs());
    first.socket.disconnect();
    await harness.present('p3');
    await harness.present('p4');
    const again = client(harness.url);
    clients.push(again);
    await hello(again, lastSeen);
    const snapshot = again.frames.find((f) => f.event === 'snapshot')?.payload as BoardSnapshot;
    expect(snapshot.arrivals.map((a) => a.seq)).toEqual([lastSeen + 1, lastSeen + 2]);
    expect(snapshot.groups).toEqual([
      { group: '5Б', expected: 2, present: 2, late: expect.any(Number) },
      { group: '6А', expected: 2, present: 2, late: expect.any(Number) },
    ]);
  });

  it('never sends a full name beyond consent, a card, a person id or anything but the arrival fields', async () => {
    harness = await BoardHarness.start({ people: PEOPLE });
    const watcher = client(harness.url);
    clients.push(watcher);
    await hello(watcher);
    for (const id of ['p1', 'p2', 'p3', 'p4']) await harness.present(id);
    await until(() => watcher.seqs().length === 4, 'four arrivals');
    const everything = JSON.stringify(watcher.frames);
    for (const secret of ['Сейтқали', 'Нұрлан', 'Dana', 'Жақсыбеков', 'p1', 'p2', cardOf('p1'), 'personId', 'credential', 'template', 'bootId', 'deviceId']) {
      expect(everything).not.toContain(secret);
    }
    const arrivals = watcher.frames.filter((f) => f.event === 'arrivals').flatMap((f) => (f.payload as { arrivals: object[] }).arrivals);
    for (const arrival of arrivals) expect(Object.keys(arrival).sort()).toEqual(['at', 'direction', 'displayName', 'door', 'group', 'late', 'role', 'seq']);
    expect(arrivals.map((a) => (a as { displayName: string }).displayName)).toEqual(['Айгерім С.', 'Н. Ә.', '', 'Ерлан Ж.']);
  });
});

describe('board access', () => {
  it('recognises loopback addresses and compares tokens', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.9')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.5')).toBe(false);
    expect(isLoopback('::ffff:192.168.1.2')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
    const tokens = new BoardTokens([TOKEN]);
    expect(tokens.matches(TOKEN)).toBe(true);
    expect(tokens.matches(`${TOKEN}x`)).toBe(false);
    expect(tokens.matches(42)).toBe(false);
    expect(tokens.allows('10.0.0.5', undefined)).toBe(false);
    expect(tokens.allows('10.0.0.5', TOKEN)).toBe(true);
  });

  it('needs the token from a non-loopback address, on the page and on the socket', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, tokens: [TOKEN], isLoopback: onlyOneLocal });
    const port = harness.port;
    expect((await remoteGet(port, '/board')).status).toBe(401);
    expect((await remoteGet(port, '/board?token=wrong-token-0000000000')).status).toBe(401);
    const page = await remoteGet(port, `/board?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await fetch(`${harness.url}/board`)).status).toBe(200);
    // What the page then loads without the query string (no data in them).
    expect((await remoteGet(port, '/board/board.js')).status).toBe(200);
    expect((await remoteGet(port, '/board/board.css')).status).toBe(200);

    const agent = new Agent({ localAddress: REMOTE_SOURCE });
    try {
      const refused = client(harness.url, {}, agent);
      clients.push(refused);
      const outcome = await new Promise<string>((resolve) => {
        refused.socket.on('connect_error', (error: Error) => resolve(error.message));
        refused.socket.on('connect', () => resolve('connected'));
      });
      expect(outcome).toBe('unauthorized');
      const allowed = client(harness.url, { token: TOKEN }, agent);
      clients.push(allowed);
      await hello(allowed);
      expect((harness.parts.board as BoardServer).namespace.sockets.get(allowed.socket.id ?? '')?.handshake.address).toMatch(/^(::ffff:)?127\.0\.0\.2$/);
    } finally {
      agent.destroy();
    }
  });
});

describe('board isolation', () => {
  it('drops garbage and oversized messages, disconnects a flood, and the door keeps deciding', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, limits: { messagesPerWindow: 20, maxMessageBytes: 256 } });
    const good = client(harness.url);
    const rude = client(harness.url);
    clients.push(good, rude);
    await hello(good);
    await until(() => rude.socket.connected, 'rude client connected');
    rude.socket.emit('hello', { sinceSeq: -5 });
    rude.socket.emit('hello', 'garbage');
    rude.socket.emit('hello', { sinceSeq: 1, extra: true });
    rude.socket.emit('something-else', { a: 1 });
    rude.socket.emit('hello', { pad: 'x'.repeat(4096) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rude.frames.filter((f) => f.event === 'snapshot')).toHaveLength(0);
    expect(rude.socket.connected).toBe(true);
    for (let i = 0; i < 50; i++) rude.socket.emit('hello', {});
    await until(() => !rude.socket.connected, 'flooder disconnected');
    const decision = await harness.present('p1');
    expect(decision?.outcome).toBe('grant');
    await until(() => good.seqs().includes(decision!.event!.seq), 'arrival at the well-behaved client');
    expect(harness.parts.board.clientCount()).toBe(1);
  });

  it('closes a connection whose message exceeds maxHttpBufferSize', async () => {
    harness = await BoardHarness.start({ people: PEOPLE });
    const big = client(harness.url);
    clients.push(big);
    await until(() => big.socket.connected, 'connected');
    big.socket.emit('hello', { pad: 'x'.repeat(64 * 1024) });
    await until(() => !big.socket.connected, 'oversized client dropped');
    expect((await harness.present('p2'))?.outcome).toBe('grant');
  });

  it('caps the number of clients', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, limits: { maxClients: 2 } });
    const a = client(harness.url);
    const b = client(harness.url);
    clients.push(a, b);
    await until(() => a.socket.connected && b.socket.connected, 'two clients');
    const c = client(harness.url);
    clients.push(c);
    const error = await new Promise<Error>((resolve) => c.socket.on('connect_error', resolve));
    expect(error.message).toBe('board full');
  });

  it('drops a client that stops reading (long-polling, never polls again) instead of buffering for it', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, limits: { maxBufferedPackets: 3, batchMs: 0, minIntervalMs: 0 } });
    const base = `${harness.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '40/board,{}' });
    await fetch(`${base}&sid=${sid}`); // connect ack and setup
    await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '42/board,["hello",{}]' });
    const good = client(harness.url);
    clients.push(good);
    await hello(good);
    await until(() => harness!.parts.board.clientCount() === 2, 'both clients');
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p1', 'p2']) {
      await harness.present(id);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await until(() => harness!.parts.board.clientCount() === 1, 'stuck client dropped');
    await until(() => good.seqs().length === 6, 'all six arrivals at the reading client');
  });
});

describe('board broadcasts yield to the door', () => {
  const held = { deciding: false, isDeciding: () => held.deciding };
  const limits = { batchMs: 0, minIntervalMs: 0, maxHoldMs: 300 };

  it('holds a batch while the door is deciding and sends it as soon as the door is done', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, limits, door: held });
    const watcher = client(harness.url);
    clients.push(watcher);
    await hello(watcher);
    held.deciding = true;
    const decisions = [await harness.present('p1'), await harness.present('p2'), await harness.present('p4')];
    const decidedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(watcher.seqs()).toEqual([]);
    held.deciding = false;
    await until(() => watcher.seqs().length === 3, 'the held batch');
    // Released by the door going idle, well before the 300 ms cap would have forced it out.
    expect(Date.now() - decidedAt).toBeLessThan(250);
    const live = watcher.frames.filter((f) => f.event === 'arrivals');
    expect(live).toHaveLength(1);
    expect(watcher.seqs()).toEqual(decisions.map((d) => d!.event!.seq));
    // Counts are cumulative, so the batch carries only the newest per group.
    const counts = (live[0].payload as { counts: Array<{ seq: number; groups: Array<{ group: string; present: number }> }> }).counts;
    expect(counts.map((c) => [c.seq, c.groups.map((g) => [g.group, g.present])])).toEqual([
      [decisions[1]!.event!.seq, [['5Б', 2]]],
      [decisions[2]!.event!.seq, [['6А', 1]]],
    ]);
  });

  it('a rush batch carries the newest ten arrivals (all the page lists) and every group\'s newest counts', async () => {
    const rush = Array.from({ length: 14 }, (_, i) => pupil(`r${i}`, `Оқушы ${i} Тестов`, i % 2 === 0 ? '7А' : '7Б'));
    harness = await BoardHarness.start({ people: rush, limits, door: held });
    const watcher = client(harness.url);
    clients.push(watcher);
    await hello(watcher);
    held.deciding = true; // the rush lands in one batch (14 cards take a few ms each; the hold is 300)
    const seqs: number[] = [];
    try {
      for (const person of rush) seqs.push((await harness.present(person.id))!.event!.seq);
    } finally {
      held.deciding = false;
    }
    await until(() => watcher.frames.some((f) => f.event === 'arrivals'), 'the batch');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const live = watcher.frames.filter((f) => f.event === 'arrivals');
    expect(live).toHaveLength(1);
    const batch = live[0].payload as { arrivals: Array<{ seq: number }>; counts: Array<{ groups: Array<{ group: string; present: number }> }> };
    expect(batch.arrivals.map((a) => a.seq)).toEqual(seqs.slice(-10));
    const present = Object.fromEntries(batch.counts.flatMap((c) => c.groups.map((g) => [g.group, g.present])));
    expect(present).toEqual({ '7А': 7, '7Б': 7 });
    // What the page lists is what a screen connecting now would list from SQLite.
    const fresh = client(harness.url);
    clients.push(fresh);
    await hello(fresh);
    const snapshot = fresh.frames.find((f) => f.event === 'snapshot')?.payload as BoardSnapshot;
    expect(snapshot.arrivals.map((a) => a.seq).sort((a, b) => a - b).slice(-10)).toEqual(seqs.slice(-10));
    expect(watcher.frames[0]?.payload).toMatchObject({ rows: 10 });
  });

  it('never holds longer than maxHoldMs, however busy the door stays', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, limits, door: held });
    const watcher = client(harness.url);
    clients.push(watcher);
    await hello(watcher);
    held.deciding = true;
    try {
      const decision = await harness.present('p1');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(watcher.seqs()).toEqual([]);
      await until(() => watcher.seqs().includes(decision!.event!.seq), 'the arrival after the hold', 2000);
    } finally {
      held.deciding = false;
    }
  });
});
