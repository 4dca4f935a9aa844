// The simulator's technician surfaces under attack, against the real kiosk in-process (real SQLite,
// real HTTP server and socket.io on port 0). Every "remote" request comes from a second loopback
// source address (127.0.0.2 and up), which the kiosk's PIN guard is told is not local; each test
// uses its own addresses so the per-address rate limit and lockout of one do not touch another.
import { connect as tcpConnect } from 'node:net';
import { request, type IncomingHttpHeaders } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../../device/admin/index.js';
import type { SimulatedCardReader } from '../../../device/hw/sim/readers.js';
import type { KioskDecision } from '../../../device/kiosk/index.js';
import { startKiosk, type RunningKiosk } from '../../../device/main.js';
import { hashPin } from '../../../device/security/technician-pin.js';
import { allEvents, daemonDir, type DaemonDir } from '../daemon.js';

const LOCAL = '127.0.0.1';
const RIGHT_PIN = '482913';
const EVIL = 'http://evil.example';

let dir: DaemonDir;
let kiosk: RunningKiosk;
let port = 0;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from the given loopback source address, on a fresh connection. */
function send(source: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: LOCAL, port, localAddress: source, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolvePromise({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.once('error', reject);
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

const login = (source: string, pin: string, headers: Record<string, string> = {}): Promise<Answer> =>
  send(source, '/sim/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: `pin=${pin}` });

/** A login in a flood: beyond its share of connections (lib/connection-limits.ts) the kiosk closes one unanswered (status 0). */
const floodLogin = (source: string, pin: string): Promise<Answer> => login(source, pin).catch(() => ({ status: 0, headers: {}, body: '' }));

const cookieOf = (answer: Answer): string | undefined => answer.headers['set-cookie']?.[0]?.split(';')[0];

/**
 * Sends the headers of a POST declaring `declaredBytes` and only the first 64 KiB of it, then waits
 * for the status line: the server must answer without the rest (null when it has not in `waitMs`).
 */
function partialUpload(source: string, path: string, declaredBytes: number, headers: Record<string, string> = {}, waitMs = 5000): Promise<{ status: number | null; close(): void }> {
  return new Promise((resolvePromise, reject) => {
    const socket = tcpConnect({ host: LOCAL, port, localAddress: source });
    let text = '';
    const timer = setTimeout(() => resolvePromise({ status: null, close: () => socket.destroy() }), waitMs);
    socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (match === null) return;
      clearTimeout(timer);
      resolvePromise({ status: Number(match[1]), close: () => socket.destroy() });
    });
    socket.once('connect', () => {
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${LOCAL}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n${extra}\r\n`);
      socket.write(Buffer.alloc(64 * 1024, 0x41));
    });
  });
}

/** The next decision at the main door's reader for `card`, resolved once it has been recorded. */
function presentCard(card: string): Promise<KioskDecision> {
  const decided = new Promise<KioskDecision>((resolvePromise) => {
    const onDecision = (decision: KioskDecision): void => {
      if (decision.door !== 'main' || decision.kind !== 'card') return;
      kiosk.services.kiosk.off('decision', onDecision);
      resolvePromise(decision);
    };
    kiosk.services.kiosk.on('decision', onDecision);
  });
  (kiosk.services.readers.get('main-in') as SimulatedCardReader).present(card);
  return decided;
}

interface PinStatus {
  technicianPin?: { verifier?: { verified: number; refusedBusy: number; maxConcurrent: number } };
}

beforeAll(async () => {
  dir = await daemonDir({ http: { host: LOCAL, port: 0 } });
  const pinFile = join(dir.dir, 'pin.hash');
  await writeFile(pinFile, `${await hashPin(RIGHT_PIN)}\n`, { mode: 0o600 });
  const config = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
  await writeFile(dir.configFile, JSON.stringify({ ...config, security: { pinHashFile: pinFile } }));
  kiosk = await startKiosk(dir.configFile, {
    logger: pino({ level: 'silent' }),
    env: {},
    pinGuardIsLoopback: (address) => address === LOCAL || address === `::ffff:${LOCAL}`,
  });
  const address = kiosk.services.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no http address');
  port = address.port;
}, 60_000);

afterAll(async () => {
  await kiosk?.stop('test');
  await dir?.cleanup();
});

describe('a wrong-PIN flood does not starve the door', () => {
  it('refuses the excess with 429, verifies one PIN at a time off the door\'s pool, and a card is decided and recorded meanwhile', async () => {
    const flooder = '127.0.0.2';
    const flood = Array.from({ length: 150 }, (_, i) => floodLogin(flooder, String(100000 + i)));
    // Let the flood reach the server before the card comes.
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const decision = await presentCard('0A11C0DE');
    const decidedInMs = performance.now() - started;
    const recorded = await kiosk.services.store.events.since((decision.event?.seq ?? 1) - 1, 1);
    const answers = await Promise.all(flood);

    expect(decision.outcome).toBe('grant');
    expect(recorded[0]?.seq).toBe(decision.event?.seq);
    // A liveness bound, not a speed claim: before, the card waited behind every guess's scrypt.
    expect(decidedInMs).toBeLessThan(2000);
    expect(answers.filter((a) => a.status === 429 || a.status === 0).length).toBeGreaterThan(100);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    expect(answers.every((a) => cookieOf(a) === undefined)).toBe(true);
    const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as PinStatus;
    expect(status.technicianPin?.verifier?.maxConcurrent).toBe(1);
    expect(status.technicianPin?.verifier?.verified).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('40 wrong PINs and the right one sent at once do not let the right one in', async () => {
    const racer = '127.0.0.3';
    const wrong = Array.from({ length: 40 }, (_, i) => floodLogin(racer, String(200000 + i)));
    const right = floodLogin(racer, RIGHT_PIN);
    const answers = await Promise.all([...wrong, right]);
    expect(cookieOf(await right)).toBeUndefined();
    expect(answers.every((a) => cookieOf(a) === undefined)).toBe(true);
    expect(answers.some((a) => a.status === 429)).toBe(true);
  }, 120_000);
});

describe('authentication before the body is read', () => {
  it.each(['/sim/face', '/sim/enrol', '/sim/palm'])('%s refuses an unauthenticated remote upload after its headers, not its body', async (path) => {
    const upload = await partialUpload('127.0.0.4', path, 5_500_000);
    upload.close();
    expect(upload.status).toBe(403);
  }, 30_000);

  it('one image upload at a time: a second is refused with 429 while the first is still arriving', async () => {
    const first = await partialUpload(LOCAL, '/sim/face', 200_000, {}, 500);
    expect(first.status).toBeNull(); // admitted: the server waits for the rest of its body
    const second = await partialUpload(LOCAL, '/sim/face', 200_000);
    second.close();
    expect(second.status).toBe(429);
    first.close();
    await new Promise((r) => setTimeout(r, 200));
    const third = await send(LOCAL, '/sim/face', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(third.status).toBe(400); // the slot was freed when the first client went away
  }, 30_000);
});

describe('cross-site requests and sockets', () => {
  function simSocket(headers: Record<string, string>): Promise<{ connected: boolean; error: string | null; present(): Promise<unknown>; input(): void; close(): void }> {
    const socket = connectSocket(`http://${LOCAL}:${port}/sim`, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: headers });
    return new Promise((resolvePromise) => {
      const handle = (connected: boolean, error: string | null) => ({
        connected,
        error,
        present: () => new Promise<unknown>((r) => socket.emit('present', { kind: 'card', value: '0A11C0DE', door: 'main', direction: 'in' }, r)),
        input: () => void socket.emit('input', { name: 'main.exit', active: true }),
        close: () => void socket.disconnect(),
      });
      socket.once('connect', () => resolvePromise(handle(true, null)));
      socket.once('connect_error', (error: Error) => resolvePromise(handle(false, error.message)));
    });
  }

  it('a page on another site cannot use the /sim socket, even from loopback; no Origin (a program) or our own page may', async () => {
    const before = kiosk.services.store.events.lastSeq();
    const evil = await simSocket({ origin: EVIL });
    evil.input();
    evil.close();
    expect(evil.connected).toBe(false);
    expect(evil.error).toMatch(/Origin/);
    await new Promise((r) => setTimeout(r, 200));
    expect(kiosk.services.store.events.lastSeq()).toBe(before);

    const sameSite: Array<Record<string, string>> = [{}, { origin: `http://${LOCAL}:${port}` }, { origin: `http://localhost:${port}`, host: `localhost:${port}` }];
    for (const headers of sameSite) {
      const own = await simSocket(headers);
      own.close();
      expect(own.connected).toBe(true);
    }
  }, 30_000);

  it('a state-changing request from another site is refused; from our own page it goes on', async () => {
    const palm = (origin?: string): Promise<Answer> =>
      send(LOCAL, '/sim/palm', { method: 'POST', headers: { 'content-type': 'application/json', ...(origin === undefined ? {} : { origin }) }, body: JSON.stringify({ hand: 'p-1', door: 'main' }) });
    expect((await palm(EVIL)).status).toBe(403);
    // DNS rebinding: Origin and Host agree, but the name is not one of the kiosk's.
    expect((await send(LOCAL, '/sim/palm', { method: 'POST', headers: { origin: 'http://evil.example', host: 'evil.example', 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    expect((await palm(`http://${LOCAL}:${port}`)).status).toBe(409); // biometrics are off in this config: past admission
    expect((await palm()).status).toBe(409);
    expect((await login('127.0.0.5', RIGHT_PIN, { origin: EVIL })).status).toBe(403);
    expect((await send(LOCAL, '/sim/logout', { method: 'POST', headers: { origin: EVIL } })).status).toBe(403);
  }, 30_000);

  it('sends CSP with frame-ancestors and nosniff on the simulator page, its assets and the PIN form', async () => {
    for (const [source, path, status] of [[LOCAL, '/sim', 200], [LOCAL, '/sim/sim.js', 200], ['127.0.0.5', '/sim', 401], ['127.0.0.5', '/sim/login.css', 200]] as const) {
      const answer = await send(source, path);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(answer.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('simulator sessions', () => {
  it('are bound to the client they were issued to, and end at POST /sim/logout (audited, cookie cleared)', async () => {
    const technician = '127.0.0.6';
    const userAgent = { 'user-agent': 'technician-browser/1' };
    const cookie = cookieOf(await login(technician, RIGHT_PIN, userAgent));
    expect(cookie).toBeDefined();
    const page = (source: string, headers: Record<string, string>): Promise<number> => send(source, '/sim', { headers: { cookie: cookie ?? '', ...headers } }).then((a) => a.status);
    expect(await page(technician, userAgent)).toBe(200);
    expect(await page('127.0.0.7', userAgent)).toBe(401); // a copied cookie, another address
    expect(await page(technician, { 'user-agent': 'curl/8' })).toBe(401); // same address, another browser
    expect(await page(technician, userAgent)).toBe(200); // and the technician's session is still good

    const logout = await send(technician, '/sim/logout', { method: 'POST', headers: { cookie: cookie ?? '', ...userAgent } });
    expect(logout.status).toBe(303);
    expect(logout.headers['set-cookie']?.[0]).toMatch(/^esik_sim=; .*Max-Age=0/);
    expect(await page(technician, userAgent)).toBe(401);
    const audits = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'sim.logout');
    expect(audits).toHaveLength(1);
    expect(audits[0]?.data).toMatchObject({ actor: `sim-page@${technician}` });
  }, 60_000);
});

describe('the admin socket', () => {
  it('records the claimed actor beside the uid and pid the kernel reports for the caller', async () => {
    await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'somebody-else', value: '0A11C0DE', door: 'main' });
    const audit = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'simulate').at(-1);
    expect(audit?.data).toMatchObject({ actor: 'somebody-else', peer: { uid: process.getuid?.(), pid: process.pid } });
  }, 30_000);
});
