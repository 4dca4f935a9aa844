// Serves the lobby page at /board from display/public (plain HTML/CSS/JS for a TV running Chromium
// in kiosk mode; the socket.io client script comes from the socket.io server at /socket.io/).
// Non-loopback requests for the page need ?token=<board token>, which the page then hands to socket.io.
// Every response of these routes, refusals included, carries the security headers of @fastify/helmet
// (registered in this scope only: the kiosk's other pages have their own policies).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BoardTokens, type LoopbackPredicate } from './access.js';

// The page itself needs the token; its stylesheet and script carry no data (like socket.io's own
// client script) and are fetched by the page without the query string.
const FILES: ReadonlyArray<{ route: string; file: string; type: string; tokenRequired: boolean }> = [
  { route: '/board', file: 'index.html', type: 'text/html; charset=utf-8', tokenRequired: true },
  { route: '/board/board.css', file: 'board.css', type: 'text/css; charset=utf-8', tokenRequired: false },
  { route: '/board/board.js', file: 'board.js', type: 'text/javascript; charset=utf-8', tokenRequired: false },
];

/**
 * The page's policy: its own script, style and socket only, never framed (helmet adds nosniff,
 * no-referrer and the rest of its defaults). With the board on its own thread the page also
 * connects to that port, on whatever host it was loaded from (the kiosk does not know the name the
 * lobby TV uses for it).
 */
function boardCsp(socketPort: number | undefined): Record<string, string[]> {
  return {
    defaultSrc: ["'self'"],
    connectSrc: socketPort === undefined ? ["'self'"] : ["'self'", `ws://*:${socketPort}`, `wss://*:${socketPort}`],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  };
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
  // Read once at start-up: a missing page file fails the start, not the first viewer.
  const bodies = await Promise.all(FILES.map(async ({ file }) => pageBody(await readFile(join(dir, file)), file, options.socketPort)));
  await fastify.register(async (scope: FastifyInstance) => {
    // Plain HTTP on the school's network: no HSTS (it would pin a name to https the kiosk does not serve).
    await scope.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: boardCsp(options.socketPort) }, strictTransportSecurity: false });
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
    });
    FILES.forEach(({ route, type, tokenRequired }, i) => {
      scope.get(route, (request: FastifyRequest, reply: FastifyReply) => {
        const query = request.query as Record<string, unknown> | undefined;
        if (tokenRequired && !tokens.allows(request.socket.remoteAddress, query?.token)) {
          return reply.code(401).type('text/plain; charset=utf-8').send('board token required\n');
        }
        return reply.type(type).send(bodies[i]);
      });
    });
    // Where the page's socket goes now: a page loaded before a restart asks after a failed connect.
    if (options.socketPort !== undefined) {
      const answer = JSON.stringify({ port: options.socketPort });
      scope.get('/board/socket.json', (_request: FastifyRequest, reply: FastifyReply) => reply.type('application/json').send(answer));
    }
  });
}

/** The page names the board thread's port, when there is one; the other files are sent as they are. */
function pageBody(body: Buffer, file: string, socketPort: number | undefined): Buffer {
  if (file !== 'index.html' || socketPort === undefined) return body;
  return Buffer.from(body.toString('utf8').replace('<meta name="esik-board-port" content="">', `<meta name="esik-board-port" content="${socketPort}">`));
}
