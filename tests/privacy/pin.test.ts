// The technician PIN on the simulator (the admin surface reachable beyond localhost), against the
// real kiosk and its real HTTP server, with every packet on loopback: the kiosk runs in-process and
// its PIN guard is told that only 127.0.0.1 is local, so requests sent from source address
// 127.0.0.2 (any 127/8 source is accepted on Linux) stand in for a remote technician. Without a
// session, or after a wrong PIN at the login, the page is refused; after the right one it is served;
// loopback needs none; after 5 wrong attempts from one address even the right PIN is refused there.
// `esik pin set` (a child process talking over the unix admin socket) writes the scrypt hash 0600
// and records a `pin.set` audit event with the CLI's uid as the kernel reports it.
// (The PIN is checked at login only: the old per-request x-esik-pin header is gone.)
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { io as connect } from 'socket.io-client';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKiosk, type RunningKiosk } from '../../device/main.js';
import { allEvents, daemonDir, type DaemonDir } from '../device/daemon.js';
import { runEsik } from './helpers.js';

const LOCAL = '127.0.0.1';
/** The "remote" technician: a loopback source the guard is told is not local. */
const REMOTE = '127.0.0.2';

let dir: DaemonDir;
let kiosk: RunningKiosk | null = null;
let port = 0;
const remoteAddressesSeen = new Set<string | undefined>();
const pinFile = (): string => join(dir.dir, 'pin.hash');

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP request to the kiosk on 127.0.0.1 from the given loopback source address. */
function send(source: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: LOCAL, port, localAddress: source, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (response) => {
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

/** The login form's POST, as a browser sends it. */
function login(pin: string, source = REMOTE): Promise<Answer> {
  return send(source, '/sim/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `pin=${encodeURIComponent(pin)}` });
}

/** GET /sim from the given source address, after logging in there with the PIN when one is given. */
async function simPage(source: string, pin?: string): Promise<number> {
  if (pin === undefined) return (await send(source, '/sim')).status;
  const cookie = (await login(pin, source)).headers['set-cookie']?.[0]?.split(';')[0];
  return (await send(source, '/sim', { headers: cookie === undefined ? {} : { cookie } })).status;
}

/** Connects to the simulator's socket.io namespace from REMOTE with a cookie: 'connected' or the refusal. */
function simSocket(cookie: string): Promise<string> {
  // engine.io-client types `agent` as string | boolean (its browser build); in Node it hands it to ws.
  const agent = new Agent({ localAddress: REMOTE }) as unknown as string;
  const socket = connect(`http://${LOCAL}:${port}/sim`, { transports: ['websocket'], forceNew: true, reconnection: false, agent, extraHeaders: { cookie } });
  return new Promise<string>((resolvePromise) => {
    socket.once('connect', () => resolvePromise('connected'));
    socket.once('connect_error', (error: Error) => resolvePromise(error.message));
  }).finally(() => socket.disconnect());
}

describe('technician PIN on the simulator beyond localhost (all on loopback)', () => {
  beforeAll(async () => {
    dir = await daemonDir({ http: { host: LOCAL, port: 0 } });
    // The PIN hash file lives in this test's own directory, known only once it exists.
    const config = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(dir.configFile, JSON.stringify({ ...config, security: { pinHashFile: pinFile() } }));
    kiosk = await startKiosk(dir.configFile, {
      logger: pino({ level: 'silent' }),
      env: {},
      pinGuardIsLoopback: (address) => {
        remoteAddressesSeen.add(address);
        return address === LOCAL || address === `::ffff:${LOCAL}`;
      },
    });
    const address = kiosk.services.http.server.address();
    if (address === null || typeof address === 'string') throw new Error('no http address');
    port = address.port;
  }, 60_000);
  afterAll(async () => {
    if (kiosk !== null) await kiosk.stop('test');
    await dir.cleanup();
  });

  it('with no PIN configured, only loopback is admitted', async () => {
    expect(await simPage(REMOTE)).toBe(401);
    expect(await simPage(REMOTE, '1234')).toBe(401);
    expect((await login('1234')).headers['set-cookie']).toBeUndefined();
    expect(await simPage(LOCAL)).toBe(200);
    // The guard really saw the other source address: the "remote" requests are not local to it.
    expect([...remoteAddressesSeen].some((a) => a?.endsWith(REMOTE) === true)).toBe(true);
  });

  it('esik pin set writes the scrypt hash 0600 and audits it; the running kiosk uses it at once', async () => {
    const result = await runEsik(dir.configFile, ['pin', 'set'], { stdin: '482913\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const hash = await readFile(pinFile(), 'utf8');
    expect(hash).toMatch(/^scrypt-v1\$/);
    expect(hash).not.toContain('482913');
    expect((await stat(pinFile())).mode & 0o777).toBe(0o600);
    const audits = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'pin.set');
    expect(audits).toHaveLength(1);
    expect(audits[0]?.data).toMatchObject({ actor: userInfo().username, action: 'pin.set' });
    // The claimed actor stands beside what the kernel says of the connecting process (SO_PEERCRED).
    expect(audits[0]?.data?.peer).toMatchObject({ uid: process.getuid?.(), user: userInfo().username });
    expect((audits[0]?.data?.peer as { pid: number }).pid).not.toBe(process.pid);
    expect(JSON.stringify(audits)).not.toContain('482913');

    expect(await simPage(REMOTE)).toBe(401);
    expect(await simPage(REMOTE, '000000')).toBe(401);
    expect(await simPage(REMOTE, '482913')).toBe(200);
    expect(await simPage(LOCAL)).toBe(200);
  }, 60_000);

  it('a PIN that is not 4-12 digits is refused and the old one stays', async () => {
    const result = await runEsik(dir.configFile, ['pin', 'set'], { stdin: 'abc\n' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/4 to 12 digits/);
    expect(await simPage(REMOTE, '482913')).toBe(200);
  }, 60_000);

  it('a browser elsewhere gets a PIN form; the right PIN gives it a session cookie for the page and its socket', async () => {
    const form = await send(REMOTE, '/sim');
    expect(form.status).toBe(401);
    expect(form.body).toContain('action="/sim/login"');
    expect((await send(REMOTE, '/sim/sim.js')).status).toBe(403);

    const wrong = await login('000000');
    expect(wrong.status).toBe(303);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const right = await login('482913');
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/sim');
    const setCookie = right.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^esik_sim=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    const cookie = setCookie.split(';')[0];
    expect((await send(REMOTE, '/sim', { headers: { cookie } })).status).toBe(200);
    expect((await send(REMOTE, '/sim/sim.js', { headers: { cookie } })).status).toBe(200);
    expect((await send(REMOTE, '/sim', { headers: { cookie: `esik_sim=${'A'.repeat(43)}` } })).status).toBe(401);

    const admitted = await simSocket(cookie);
    const refused = await simSocket('esik_sim=forged');
    expect(admitted).toBe('connected');
    expect(refused).toMatch(/technician PIN/);

    const logins = (await allEvents(dir.socketPath)).filter((e) => e.type === 'audit' && e.reason === 'sim.login');
    expect(logins.length).toBeGreaterThanOrEqual(1);
    expect(logins.at(-1)?.data).toMatchObject({ actor: `sim-page@${REMOTE}` });
    expect(JSON.stringify(logins)).not.toContain('482913');
  }, 60_000);

  it('after 5 wrong PINs from one address it is locked there, even for the right PIN; another address may still log in', async () => {
    const attacker = '127.0.0.4';
    for (let i = 0; i < 5; i += 1) expect(await simPage(attacker, `11110${i}`)).toBe(401);
    expect(await simPage(attacker, '482913')).toBe(401);
    expect((await login('482913', attacker)).headers['set-cookie']).toBeUndefined();
    expect(await simPage(LOCAL)).toBe(200);
    expect(await simPage('127.0.0.5', '482913')).toBe(200);
    expect(await simPage(attacker, '482913')).toBe(401);
  }, 60_000);
});
