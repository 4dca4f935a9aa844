// The board's pages send security headers, refusals included; its sockets check Origin: a page of another site, opened in a browser in the school (or in
// the kiosk's own browser, where no token is needed), must not be able to read the board. Browsers
// always name the page's origin on a websocket handshake; socket.io-client in Node sends what the
// test puts in extraHeaders, so each test plays one such page. Both modes: the namespace on the
// kiosk's own socket.io server and the board thread's server (where the default namespace serves
// nothing either).
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { originAllows } from '../../display/access.js';
import { BoardHarness, pupil } from './harness.js';

const PEOPLE = [pupil('p1', 'Айгерім Сейтқали', '5Б')];

let harness: BoardHarness | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await harness?.cleanup();
  harness = null;
});

function socketPort(h: BoardHarness): number {
  const board = h.parts.board;
  return 'port' in board ? board.port : h.port;
}

/** Connects to `namespace` with the given request headers; resolves 'connected' or the refusal's message. */
function attempt(port: number, headers: Record<string, string>, namespace = '/board'): Promise<string> {
  const socket = connect(`http://127.0.0.1:${port}${namespace}`, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: headers });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.on('connect', () => resolve('connected'));
    socket.on('connect_error', (error: Error) => resolve(error.message));
  });
}

describe('originAllows', () => {
  it('lets a page reach only the host it came from, and a tokenless page only a loopback name', () => {
    expect(originAllows(undefined, '10.0.0.7:41000', 'local')).toBe(true); // not a browser page
    expect(originAllows('http://10.0.0.7:8080', '10.0.0.7:41000', 'token')).toBe(true);
    expect(originAllows('http://KIOSK.local:8080', 'kiosk.local:41000', 'token')).toBe(true);
    expect(originAllows('http://127.0.0.1:8080', '127.0.0.1:41000', 'local')).toBe(true);
    expect(originAllows('http://[::1]:8080', '[::1]:41000', 'local')).toBe(true);
    expect(originAllows('http://localhost:8080', 'localhost:41000', 'local')).toBe(true);
    expect(originAllows('https://evil.example', '10.0.0.7:41000', 'token')).toBe(false);
    expect(originAllows('null', '127.0.0.1:41000', 'local')).toBe(false);
    expect(originAllows('file://', '127.0.0.1:41000', 'local')).toBe(false);
    expect(originAllows('http://127.0.0.1:8080', undefined, 'local')).toBe(false);
    // DNS rebinding: a site's name pointed at the kiosk, in the kiosk's own browser (no token).
    expect(originAllows('http://evil.example:8080', 'evil.example:41000', 'local')).toBe(false);
    expect(originAllows('http://kiosk.local:8080', 'kiosk.local:41000', 'local')).toBe(false);
  });
});

describe.each([
  { mode: 'on its own thread', thread: true },
  { mode: "on the kiosk's socket.io server", thread: false },
])('the board socket $mode', ({ thread }) => {
  it('refuses a page of another site or of a re-pointed name, and lets the board page in', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, thread });
    const port = socketPort(harness);
    const refused = thread ? 'websocket error' : 'forbidden origin';
    expect(await attempt(port, { origin: 'https://evil.example' })).toBe(refused);
    expect(await attempt(port, { origin: 'null' })).toBe(refused);
    expect(await attempt(port, { origin: 'http://evil.example:8080', host: `evil.example:${port}` })).toBe('forbidden origin');
    // The board page as the kiosk serves it (its own port), and a client that is no web page.
    expect(await attempt(port, { origin: harness.url })).toBe('connected');
    expect(await attempt(port, {})).toBe('connected');
  });
});

describe('the board thread', () => {
  it('serves nothing on the default namespace', async () => {
    harness = await BoardHarness.start({ people: PEOPLE, thread: true });
    const port = socketPort(harness);
    expect(await attempt(port, {}, '/')).toBe('no such namespace');
    expect(await attempt(port, { origin: harness.url }, '/')).toBe('no such namespace');
  });
});

describe("the board's pages", () => {
  const TOKEN = 'lobby-tv-token-0123456789';

  it('send a CSP that forbids framing, nosniff, no-referrer and no-store, refusals included', async () => {
    // Every client needs the token here, so the page without it is refused.
    harness = await BoardHarness.start({ people: PEOPLE, thread: true, tokens: [TOKEN], isLoopback: () => false });
    const port = socketPort(harness);
    const responses = await Promise.all(['/board', `/board?token=${TOKEN}`, '/board/board.js', '/board/board.css', '/board/socket.json'].map((path) => fetch(`${harness!.url}${path}`)));
    expect(responses.map((r) => r.status)).toEqual([401, 200, 200, 200, 200]);
    for (const response of responses) {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain(`connect-src 'self' ws://*:${port} wss://*:${port}`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });
});
