// Serves the lobby page at /board from display/public (plain HTML/CSS/JS for a TV running Chromium
// in kiosk mode; the socket.io client script comes from the socket.io server at /socket.io/).
// Non-loopback requests for the page need ?token=<board token>, which the page then hands to socket.io.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BoardTokens, type LoopbackPredicate } from './access.js';

// The page itself needs the token; its stylesheet and script carry no data (like socket.io's own
// client script) and are fetched by the page without the query string.
const FILES: ReadonlyArray<{ route: string; file: string; type: string; tokenRequired: boolean }> = [
  { route: '/board', file: 'index.html', type: 'text/html; charset=utf-8', tokenRequired: true },
  { route: '/board/board.css', file: 'board.css', type: 'text/css; charset=utf-8', tokenRequired: false },
  { route: '/board/board.js', file: 'board.js', type: 'text/javascript; charset=utf-8', tokenRequired: false },
];

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
} as const;

/** The page may also connect to the board's own socket port, on whatever host it was loaded from. */
function withSocketPort(port: number): Record<string, string> {
  const csp = SECURITY_HEADERS['content-security-policy'].replace("connect-src 'self'", `connect-src 'self' ws://*:${port} wss://*:${port}`);
  return { ...SECURITY_HEADERS, 'content-security-policy': csp };
}

export interface BoardRouteOptions {
  tokens: readonly string[];
  /** The port of the board's own socket server (BoardThread); the page connects there, not to this server. */
  socketPort?: number;
  /** Where index.html, board.css and board.js live; defaults to display/public beside the sources. */
  publicDir?: string;
  /** Which client addresses need no token; defaults to `isLoopback`. */
  isLoopback?: LoopbackPredicate;
}

/** display/public next to this file in a checkout, or the source tree's copy when running from dist/. */
export function defaultPublicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'public');
  return existsSync(beside) ? beside : join(here, '..', '..', 'display', 'public');
}

export async function registerBoardRoutes(fastify: FastifyInstance, options: BoardRouteOptions): Promise<void> {
  const tokens = new BoardTokens(options.tokens, options.isLoopback);
  const dir = options.publicDir ?? defaultPublicDir();
  const headers = options.socketPort === undefined ? SECURITY_HEADERS : withSocketPort(options.socketPort);
  for (const { route, file, type, tokenRequired } of FILES) {
    // Read once at start-up: a missing page file fails the start, not the first viewer.
    let body = await readFile(join(dir, file));
    if (file === 'index.html' && options.socketPort !== undefined) {
      body = Buffer.from(body.toString('utf8').replace('<meta name="esik-board-port" content="">', `<meta name="esik-board-port" content="${options.socketPort}">`));
    }
    fastify.get(route, (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as Record<string, unknown> | undefined;
      if (tokenRequired && !tokens.allows(request.socket.remoteAddress, query?.token)) {
        return reply.code(401).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('board token required\n');
      }
      return reply.headers(headers).type(type).send(body);
    });
  }
  // Where the page's socket goes now: a page loaded before a restart asks after a failed connect.
  if (options.socketPort !== undefined) {
    const answer = JSON.stringify({ port: options.socketPort });
    fastify.get('/board/socket.json', (_request: FastifyRequest, reply: FastifyReply) => reply.headers(SECURITY_HEADERS).type('application/json').send(answer));
  }
}
