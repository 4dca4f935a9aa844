// The attacks of `bench abuse`, each run for a bounded time from its own child process (so the
// attacker's own CPU is not the bench's probe's), against loopback only. An attack reports what it
// achieved: a grant, a door movement, a PIN accepted while locked, a 500, a body read in full.
// Usage (from bench/abuse.ts): tsx bench/_abuse-attacks.ts NAME JSON-TARGET
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { randomInt } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';

export interface AttackTarget {
  kioskPort: number;
  boardPort: number | null;
  boardToken: string;
  hubPort: number;
  deviceId: string;
  rightPin: string;
  seconds: number;
  /** The address the kiosk treats as remote: a second loopback address. */
  remote: string;
}

export interface AttackReport {
  requests: number;
  statuses: Record<string, number>;
  achieved: boolean;
  what: string[];
}

interface HttpAnswer {
  status: number;
  /** True when the whole body was written before the answer came. */
  bodySent: boolean;
  /** The answer set a cookie (a technician session). */
  setCookie: boolean;
}

/** Every attack ends by this time (set by main): no request outlives it by more than 3 s. */
let attackDeadline = Date.now() + 30_000;
const requestTimeoutMs = (): number => Math.max(1000, attackDeadline - Date.now() + 3000);

const agents = new Map<string, Agent>();
const agentFor = (localAddress: string): Agent => {
  let agent = agents.get(localAddress);
  if (agent === undefined) {
    agent = new Agent({ keepAlive: false, localAddress });
    agents.set(localAddress, agent);
  }
  return agent;
};

/** One request whose body (declared `bodyBytes` long) is streamed in 64 KiB chunks until the server answers. */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; bodyBytes?: number; body?: string; from: string }): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const bodyBytes = options.body === undefined ? (options.bodyBytes ?? 0) : Buffer.byteLength(options.body);
    let sent = 0;
    let done = false;
    const finish = (answer: HttpAnswer): void => {
      if (done) return;
      done = true;
      resolve(answer);
    };
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: agentFor(options.from), headers: { ...options.headers, ...(bodyBytes > 0 ? { 'content-length': String(bodyBytes) } : {}) }, timeout: requestTimeoutMs() }, (res: IncomingMessage) => {
      res.resume();
      finish({ status: res.statusCode ?? 0, bodySent: sent >= bodyBytes, setCookie: res.headers['set-cookie'] !== undefined });
      req.destroy();
    });
    req.on('error', () => finish({ status: 0, bodySent: sent >= bodyBytes, setCookie: false }));
    req.on('timeout', () => {
      finish({ status: -1, bodySent: sent >= bodyBytes, setCookie: false });
      req.destroy();
    });
    if (options.body !== undefined) {
      sent = bodyBytes;
      req.end(options.body);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    // The first chunk, then a pause for the answer: a server that refuses on the headers answers
    // within it. Without the pause, loopback's socket buffers (several MB) take a 5.5 MB body
    // whole before the server has read a byte of it, and "sent" would say nothing about the server.
    const firstThenPause = (): void => {
      sent = Math.min(chunk.length, bodyBytes);
      req.write(chunk.subarray(0, sent));
      setTimeout(pump, 250);
    };
    const pump = (): void => {
      while (!done && sent < bodyBytes) {
        const n = Math.min(chunk.length, bodyBytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!done) req.end();
    };
    firstThenPause();
  });
}

class Tally implements AttackReport {
  requests = 0;
  statuses: Record<string, number> = {};
  achieved = false;
  what: string[] = [];
  count(status: number): void {
    this.requests++;
    this.statuses[String(status)] = (this.statuses[String(status)] ?? 0) + 1;
    // 503 is a documented refusal (busy, with Retry-After); any other 5xx is the server failing.
    if (status >= 500 && status !== 503) this.hit(`HTTP ${status}`);
  }
  hit(what: string): void {
    this.achieved = true;
    if (!this.what.includes(what) && this.what.length < 10) this.what.push(what);
  }
}

/** `workers` loops, each repeating `one` until the deadline. */
async function loops(workers: number, seconds: number, one: (worker: number) => Promise<void>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (Date.now() < deadline) await one(worker);
    }),
  );
}

const wrongPin = (right: string): string => {
  for (;;) {
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    if (pin !== right) return pin;
  }
};

/** One login attempt at the simulator, as its PIN form posts it. */
const login = (t: AttackTarget, pin: string, from: string): Promise<HttpAnswer> =>
  send(t.kioskPort, '/sim/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `pin=${pin}`, from });

/** 150 concurrent wrong PINs, again and again, each loop from its own remote address (a rotating attacker). */
async function pinFlood(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  await loops(150, t.seconds, async (worker) => {
    const answer = await login(t, wrongPin(t.rightPin), `127.0.2.${worker + 2}`);
    tally.count(answer.status);
    if (answer.setCookie) tally.hit('a wrong PIN got a technician session');
  });
  return tally;
}

/** 40 wrong PINs and then the right one, sent at once, each round from a fresh remote address. */
async function lockoutRace(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  const deadline = Date.now() + t.seconds * 1000;
  for (let round = 0; Date.now() < deadline; round++) {
    const from = `127.0.1.${(round % 250) + 2}`;
    const wrong = Array.from({ length: 40 }, () => login(t, wrongPin(t.rightPin), from));
    const right = login(t, t.rightPin, from);
    for (const answer of await Promise.all(wrong)) tally.count(answer.status);
    const rightAnswer = await right;
    tally.count(rightAnswer.status);
    if (rightAnswer.setCookie) tally.hit('the right PIN was accepted after 40 wrong ones');
    await new Promise((r) => setTimeout(r, 500));
  }
  return tally;
}

/** 40 concurrent 5.5 MB bodies to /sim/face with no PIN, from a remote address. */
async function kioskLargeBodies(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  await loops(40, t.seconds, async () => {
    const answer = await send(t.kioskPort, '/sim/face', { method: 'POST', headers: { 'content-type': 'application/json' }, bodyBytes: 5_500_000, from: t.remote });
    tally.count(answer.status);
    if (answer.status >= 200 && answer.status < 300) tally.hit('an unauthenticated face was accepted');
    if (answer.bodySent && answer.status > 0) tally.hit('the whole body was read before the refusal');
  });
  return tally;
}

/** 8 concurrent 60 MB bodies with no token to the hub's push route. */
async function hubLargeBodies(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  await loops(8, t.seconds, async () => {
    const answer = await send(t.hubPort, `/v1/devices/${t.deviceId}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, bodyBytes: 60_000_000, from: t.remote });
    tally.count(answer.status);
    if (answer.status >= 200 && answer.status < 300) tally.hit('an unauthenticated push was accepted');
    if (answer.bodySent && answer.status > 0) tally.hit('the whole body was read before the refusal');
  });
  return tally;
}

/** 200 concurrent pushes with a wrong token for a known device id. */
async function hubWrongTokenFlood(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  const body = JSON.stringify({ events: [] });
  await loops(200, t.seconds, async () => {
    const token = Buffer.from(Array.from({ length: 32 }, () => randomInt(0, 256))).toString('base64url');
    const answer = await send(t.hubPort, `/v1/devices/${t.deviceId}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, from: t.remote });
    tally.count(answer.status);
    if (answer.status >= 200 && answer.status < 300) tally.hit('a wrong token was accepted');
  });
  return tally;
}

function socketTo(url: string, options: { origin?: string; from: string; auth?: Record<string, string>; transports?: Array<'websocket' | 'polling'> }): Socket {
  return connect(url, {
    forceNew: true,
    reconnection: false,
    transports: options.transports ?? ['websocket'],
    agent: agentFor(options.from) as unknown as string,
    extraHeaders: options.origin === undefined ? {} : { origin: options.origin },
    ...(options.auth ? { auth: options.auth } : {}),
    timeout: 5000,
  });
}

const connected = (socket: Socket): Promise<boolean> =>
  new Promise((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('connect_error', () => resolve(false));
  });

/** 60 board clients, each saying hello {sinceSeq: 0} every 550 ms (under the per-client limit). */
async function boardHelloFlood(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  if (t.boardPort === null) return tally;
  const sockets = Array.from({ length: 60 }, () => socketTo(`http://127.0.0.1:${t.boardPort}/board`, { from: t.remote, auth: { token: t.boardToken } }));
  let snapshots = 0;
  for (const socket of sockets) socket.on('snapshot', () => snapshots++);
  await Promise.all(sockets.map(connected));
  const timer = setInterval(() => {
    for (const socket of sockets) {
      if (!socket.connected) continue;
      socket.emit('hello', { sinceSeq: 0 });
      tally.requests++;
    }
  }, 550);
  await new Promise((r) => setTimeout(r, t.seconds * 1000));
  clearInterval(timer);
  tally.statuses.snapshots = snapshots;
  tally.statuses.connected = sockets.filter((s) => s.connected).length;
  for (const socket of sockets) socket.close();
  return tally;
}

/** A page on another site drives the simulator's socket and state-changing routes through a browser on loopback. */
async function crossOriginSocket(t: AttackTarget): Promise<AttackReport> {
  const tally = new Tally();
  const evil = 'http://evil.example';
  const deadline = Date.now() + t.seconds * 1000;
  while (Date.now() < deadline) {
    for (const transports of [['websocket'], ['polling']] as Array<Array<'websocket' | 'polling'>>) {
      const socket = socketTo(`http://127.0.0.1:${t.kioskPort}/sim`, { origin: evil, from: '127.0.0.1', transports });
      const ok = await connected(socket);
      tally.count(ok ? 101 : 403);
      if (ok) {
        tally.hit(`cross-origin ${transports[0]} connected to /sim`);
        const answer = await new Promise<unknown>((resolve) => {
          socket.timeout(3000).emit('present', { kind: 'card', value: '04A2B91C', door: 'main', direction: 'in' }, (_e: unknown, reply: unknown) => resolve(reply));
        });
        if (typeof answer === 'object' && answer !== null && 'granted' in answer && (answer).granted === true) tally.hit('a cross-origin page presented a card and was granted');
        socket.emit('input', { name: 'main.exitButton', active: true });
        socket.emit('input', { name: 'main.exitButton', active: false });
      }
      socket.close();
    }
    const post = await send(t.kioskPort, '/sim/face', { method: 'POST', headers: { origin: evil, 'content-type': 'application/json' }, bodyBytes: 2, from: '127.0.0.1' });
    tally.count(post.status);
    if (post.status !== 403 && post.status !== 401 && post.status > 0) tally.hit(`a cross-origin POST /sim/face was not refused (${post.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return tally;
}

/** In the order they run: the lockout race first, while no earlier attack has locked the PIN already. */
export const ATTACKS: Record<string, (t: AttackTarget) => Promise<AttackReport>> = {
  lockout_race: lockoutRace,
  pin_flood: pinFlood,
  kiosk_large_bodies: kioskLargeBodies,
  hub_large_bodies: hubLargeBodies,
  board_hello_flood: boardHelloFlood,
  cross_origin_socket: crossOriginSocket,
  hub_wrong_token_flood: hubWrongTokenFlood,
};

async function main(): Promise<void> {
  const [name, targetJson] = process.argv.slice(2);
  const attack = name === undefined ? undefined : ATTACKS[name];
  if (attack === undefined || targetJson === undefined) throw new Error(`usage: _abuse-attacks.ts ${Object.keys(ATTACKS).join('|')} TARGET-JSON`);
  const target = JSON.parse(targetJson) as AttackTarget;
  attackDeadline = Date.now() + Math.min(30, target.seconds) * 1000;
  const report = await attack(target);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

if (process.argv[1]?.endsWith('_abuse-attacks.ts')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
