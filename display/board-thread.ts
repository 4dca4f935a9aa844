// The worker-thread side of BoardThread (board-thread-host.ts): the board's socket.io server on its
// own port. Every board client's socket write happens on this thread, so fifty lobby screens cost the
// kiosk's event loop one structured-clone message per batch instead of fifty socket writes in the
// middle of a burst of decisions. Today's state comes from SQLite through the main thread, once,
// and is then kept here by folding in the live updates (SnapshotCache, in createBoardServer): a
// hello is answered from this thread's memory, and the main thread is asked again at most once a
// second (`limits.snapshotBuildIntervalMs`) however many clients say hello.
import { EventEmitter } from 'node:events';
import { readlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pino, type Level, type Logger } from 'pino';
import { Server } from 'socket.io';
import type { BoardArrival, BoardCounts, BoardFeed, BoardFeedEvents, BoardSnapshot } from './feed.js';
import type { BoardLimits } from './config.js';
import type { BoardLanguage } from './i18n.js';
import { originAllows } from './access.js';
import { BOARD_SOCKET_SERVER_OPTIONS, createBoardServer } from './server.js';
import { closeWithin, limitConnections, shortenHeadersTimeout } from '../lib/index.js';

export interface BoardThreadInit {
  host: string;
  port: number;
  language: BoardLanguage;
  tokens: readonly string[];
  limits: Partial<BoardLimits>;
  utcOffsetMinutes: number;
  /** This thread's nice value (BOARD_THREAD_NICE). */
  nice: number;
  logLevel: Level;
  logBase: Record<string, unknown>;
}

/** Main thread -> board thread. */
export type ToBoardThread =
  | { kind: 'updates'; arrivals: BoardArrival[]; counts: BoardCounts[] }
  | { kind: 'snapshot'; id: number; snapshot: BoardSnapshot }
  | { kind: 'snapshot-failed'; id: number; message: string }
  | { kind: 'close' };

/** Board thread -> main thread. */
export type FromBoardThread =
  | { kind: 'listening'; port: number; threadId: number | null }
  | { kind: 'failed'; message: string }
  | { kind: 'snapshot'; id: number; afterSeq?: number }
  | { kind: 'clients'; count: number }
  | { kind: 'closed' };

/** The board feed as this thread sees it: live updates posted in, snapshots asked of the main thread. */
class PostedFeed extends EventEmitter<BoardFeedEvents> implements BoardFeed {
  private readonly waiting = new Map<number, { resolve: (s: BoardSnapshot) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(private readonly send: (message: FromBoardThread) => void) {
    super();
  }

  snapshot(afterSeq?: number): Promise<BoardSnapshot> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send({ kind: 'snapshot', id, afterSeq });
    });
  }

  answer(id: number, outcome: { snapshot: BoardSnapshot } | { error: Error }): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    if ('snapshot' in outcome) waiter?.resolve(outcome.snapshot);
    else waiter?.reject(outcome.error);
  }
}

/**
 * Lowers this thread alone (Linux: setpriority on a thread id affects that thread) so that on a
 * two-core Pi the door's thread and SQLite's fsync threads do not wait behind fifty socket writes.
 * Returns the thread's id, or null where there is no /proc.
 */
function yieldToTheDoor(nice: number, logger: Logger): number | null {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(threadId, nice);
    return threadId;
  } catch (error) {
    logger.warn({ err: error }, 'board thread runs at normal priority');
    return null;
  }
}

function serve(): void {
  const port = parentPort;
  if (port === null) throw new Error('board-thread must run in a worker thread');
  const init = workerData as BoardThreadInit;
  const logger = pino({ level: init.logLevel, base: { ...init.logBase, thread: 'board' } });
  const threadId = yieldToTheDoor(init.nice, logger);
  const send = (message: FromBoardThread): void => port.postMessage(message);
  const feed = new PostedFeed(send);
  const http = createServer((_request, response) => response.writeHead(404).end());
  limitConnections(http);
  shortenHeadersTimeout(http);
  // Websocket only: the page comes from the kiosk's own port, and a websocket needs no CORS. A page
  // of another host is refused before any namespace (the board's checks the token too); the default
  // namespace serves nothing, so nothing connects there.
  const io = new Server(http, {
    ...BOARD_SOCKET_SERVER_OPTIONS,
    serveClient: false,
    transports: ['websocket'],
    allowRequest: (request, answer) => answer(null, originAllows(request.headers.origin, request.headers.host, 'token')),
  });
  io.of('/').use((_socket, next) => next(new Error('no such namespace')));
  // No door activity here: this thread does not share the door's event loop, so it need not wait.
  const board = createBoardServer({ io, feed, language: init.language, tokens: init.tokens, logger, utcOffsetMinutes: init.utcOffsetMinutes, limits: init.limits });
  board.namespace.on('connection', (socket) => {
    send({ kind: 'clients', count: board.clientCount() });
    socket.on('disconnect', () => send({ kind: 'clients', count: board.clientCount() }));
  });
  port.on('message', (message: ToBoardThread) => {
    if (message.kind === 'updates') {
      for (const arrival of message.arrivals) feed.emit('arrival', arrival);
      for (const counts of message.counts) feed.emit('counts', counts);
    } else if (message.kind === 'snapshot') feed.answer(message.id, { snapshot: message.snapshot });
    else if (message.kind === 'snapshot-failed') feed.answer(message.id, { error: new Error(message.message) });
    else {
      board.close();
      void closeWithin(http, () => io.close()).finally(() => {
        send({ kind: 'closed' });
        port.close();
      });
    }
  });
  http.once('error', (error) => send({ kind: 'failed', message: error.message }));
  http.listen(init.port, init.host, () => send({ kind: 'listening', port: (http.address() as AddressInfo).port, threadId }));
}

serve();
