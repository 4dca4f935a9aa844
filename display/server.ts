// The lobby board's socket.io side, on the `/board` namespace of the kiosk's one socket.io Server.
//
// Protocol (client <-> server):
//   server -> 'setup'    { language, locale, labels, utcOffsetMinutes, rows }      on connect
//   client -> 'hello'    { sinceSeq? }                                             last seq it has seen
//   server -> 'snapshot' BoardSnapshot (arrivals after sinceSeq, full day counts)
//   server -> 'arrivals' { arrivals: BoardArrival[], counts: BoardCounts[] }      live, coalesced
// A live batch carries the newest `rows` arrivals (the page lists no more) and the newest counts of
// each group it touched; counts are cumulative, so nothing the page shows is lost.
// The socket joins the live room before its snapshot is taken, so nothing committed in between is
// lost; the page de-duplicates by seq and keeps per-group counts by the seq they include.
// Snapshots come from one held in memory with the live updates folded in (SnapshotCache): the feed
// (SQLite, on the door's thread) is asked at most once per `snapshotBuildIntervalMs`, whoever asks,
// and one client gets a snapshot at most once per `clientSnapshotIntervalMs`.
//
// Isolation: a board client can never slow the door. Incoming messages are few by design, so any
// message that is not a small valid 'hello' is dropped, and a client that keeps sending is cut off.
// A browser may connect only from a page of the host it connects to (originAllows).
// Live updates are broadcast once per batch; a client whose transport stops draining is
// disconnected rather than buffered for (it catches up from SQLite when it comes back).
import type { Logger } from 'pino';
import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { BoardArrival, BoardCounts, BoardFeed, BoardSnapshot } from './feed.js';
import { BoardTokens, originAllows, type LoopbackPredicate } from './access.js';
import { BOARD_ROWS, boardLimitsSchema, type BoardLimits } from './config.js';
import { BOARD_LOCALES, boardLabels, type BoardLanguage } from './i18n.js';
import { SnapshotCache } from './snapshot-cache.js';

export const BOARD_NAMESPACE = '/board';
/** Clients written to in one go; the event loop gets a turn between chunks (decisions first). */
const CLIENTS_PER_CHUNK = 10;
/** How often a held batch looks again whether the door has finished deciding. */
const DOOR_POLL_MS = 2;

/** socket.io Server options the kiosk should use so no client message can be large (bytes). */
export const BOARD_SOCKET_SERVER_OPTIONS = { maxHttpBufferSize: 16 * 1024 } as const;

const helloSchema = z
  .object({ sinceSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() })
  .strict();

/** What the board needs to know of the door: whether a decision is under way (the kiosk). */
export interface DoorActivity {
  isDeciding(): boolean;
}

export interface BoardServerOptions {
  io: Server;
  feed: BoardFeed;
  /** Broadcasts wait (up to `limits.maxHoldMs`) while the door is deciding; without it they never wait. */
  door?: DoorActivity;
  language: BoardLanguage;
  tokens: readonly string[];
  logger: Logger;
  utcOffsetMinutes: number;
  limits?: Partial<BoardLimits>;
  /** Which client addresses need no token; defaults to `isLoopback`. */
  isLoopback?: LoopbackPredicate;
}

export interface BoardServer {
  readonly namespace: Namespace;
  clientCount(): number;
  /** Snapshots this server has asked of the feed (each one a build on the kiosk's thread). */
  snapshotBuilds(): number;
  /** Stops listening to the feed and disconnects every board client. */
  close(): void;
}

interface ClientState {
  messages: number;
  windowStart: number;
  /** Packets handed to the socket since its transport last drained. */
  undrained: number;
  snapshotting: boolean;
  /** When it was last sent a snapshot (epoch ms), and the timer of a hello that waits its turn. */
  lastSnapshotMs: number;
  deferred: NodeJS.Timeout | null;
  /** Said hello: receives live updates. */
  live: boolean;
}

export function createBoardServer(options: BoardServerOptions): BoardServer {
  const limits = boardLimitsSchema.parse(options.limits ?? {});
  const log = options.logger.child({ ns: 'board' });
  const tokens = new BoardTokens(options.tokens, options.isLoopback);
  const nsp = options.io.of(BOARD_NAMESPACE);
  const clients = new Map<string, ClientState>();
  const setup = {
    language: options.language,
    locale: BOARD_LOCALES[options.language],
    labels: boardLabels(options.language),
    utcOffsetMinutes: options.utcOffsetMinutes,
    rows: BOARD_ROWS,
  };

  const snapshots = new SnapshotCache({
    feed: options.feed,
    maxArrivals: limits.snapshotArrivals,
    refreshMs: limits.snapshotRefreshMs,
    minBuildIntervalMs: limits.snapshotBuildIntervalMs,
    utcOffsetMinutes: options.utcOffsetMinutes,
  });
  snapshots.start();

  nsp.use((socket, next) => admit(socket, nsp, limits, tokens, log, next));

  nsp.on('connection', (socket) => {
    const state: ClientState = { messages: 0, windowStart: Date.now(), undrained: 0, snapshotting: false, lastSnapshotMs: Number.NEGATIVE_INFINITY, deferred: null, live: false };
    clients.set(socket.id, state);
    socket.conn.on('drain', () => {
      state.undrained = 0;
    });
    socket.on('disconnect', () => {
      clients.delete(socket.id);
      if (state.deferred !== null) clearTimeout(state.deferred);
    });
    guardIncoming(socket, state, limits, log);
    answerHellos(socket, state, snapshots, limits, log);
    socket.emit('setup', setup);
  });

  const broadcaster = new ArrivalBroadcaster(nsp, clients, limits, log, options.door ?? null);
  const onArrival = (arrival: BoardArrival): void => broadcaster.arrival(arrival);
  const onCounts = (counts: BoardCounts): void => broadcaster.counts(counts);
  options.feed.on('arrival', onArrival);
  options.feed.on('counts', onCounts);

  return {
    namespace: nsp,
    clientCount: () => nsp.sockets.size,
    snapshotBuilds: () => snapshots.buildCount,
    close: () => {
      options.feed.off('arrival', onArrival);
      options.feed.off('counts', onCounts);
      snapshots.stop();
      broadcaster.stop();
      nsp.disconnectSockets(true);
    },
  };
}

/**
 * Handshake middleware: caps the number of clients, asks non-loopback clients for a token, and
 * refuses a browser page of another site (the check runs here too because with `board.thread`
 * off this namespace shares the kiosk's socket.io server).
 */
function admit(socket: Socket, nsp: Namespace, limits: BoardLimits, tokens: BoardTokens, log: Logger, next: (err?: Error) => void): void {
  if (nsp.sockets.size >= limits.maxClients) {
    log.warn({ address: socket.handshake.address }, 'board client refused: too many clients');
    next(new Error('board full'));
    return;
  }
  const auth: unknown = socket.handshake.auth;
  const token = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
  const access = tokens.access(socket.handshake.address, token);
  if (access === null) {
    log.warn({ address: socket.handshake.address }, 'board client refused: no valid token');
    next(new Error('unauthorized'));
    return;
  }
  const { origin, host } = socket.handshake.headers;
  if (!originAllows(origin, host, access)) {
    log.warn({ address: socket.handshake.address, origin: String(origin).slice(0, 200) }, 'board client refused: page of another origin');
    next(new Error('forbidden origin'));
    return;
  }
  next();
}

/** Drops anything but a small 'hello'; disconnects a client that floods. */
function guardIncoming(socket: Socket, state: ClientState, limits: BoardLimits, log: Logger): void {
  socket.use((packet, next) => {
    const now = Date.now();
    if (now - state.windowStart >= limits.windowMs) {
      state.windowStart = now;
      state.messages = 0;
    }
    state.messages += 1;
    if (state.messages > limits.messagesPerWindow) {
      log.warn({ address: socket.handshake.address }, 'board client disconnected: message flood');
      socket.disconnect(true);
      return;
    }
    if (packet[0] !== 'hello' || packet.length > 2 || serialisedSize(packet[1]) > limits.maxMessageBytes) {
      log.debug({ event: String(packet[0]).slice(0, 32) }, 'board client message dropped');
      return;
    }
    next();
  });
}

/**
 * A valid hello makes the client live and gets it a snapshot, one at a time, at most one per
 * `clientSnapshotIntervalMs`: a page says hello on connect and when its day moves, so a sooner hello
 * waits its turn rather than being dropped.
 */
function answerHellos(socket: Socket, state: ClientState, snapshots: SnapshotCache, limits: BoardLimits, log: Logger): void {
  socket.on('hello', (payload: unknown) => {
    const parsed = helloSchema.safeParse(payload);
    if (!parsed.success || state.snapshotting) return;
    state.snapshotting = true;
    state.live = true;
    const answer = (): void => {
      state.deferred = null;
      void sendSnapshot(socket, snapshots, parsed.data.sinceSeq, log).finally(() => {
        state.snapshotting = false;
        state.lastSnapshotMs = Date.now();
      });
    };
    const wait = state.lastSnapshotMs + limits.clientSnapshotIntervalMs - Date.now();
    if (wait > 0) state.deferred = setTimeout(answer, wait);
    else answer();
  });
}

function serialisedSize(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

async function sendSnapshot(socket: Socket, snapshots: SnapshotCache, sinceSeq: number | undefined, log: Logger): Promise<void> {
  if (!socket.connected) return;
  try {
    const snapshot: BoardSnapshot = await snapshots.snapshot(sinceSeq);
    if (socket.connected) socket.emit('snapshot', snapshot);
  } catch (error: unknown) {
    // The store being busy or broken must not take the board server down; the page retries on reconnect.
    log.error({ err: error }, 'board snapshot failed');
    socket.disconnect(true);
  }
}

/**
 * Coalesces live updates and broadcasts them to every live client. A batch goes out `batchMs` after
 * its first update, but never sooner than `minIntervalMs` after the previous one, so a morning rush
 * costs the kiosk a few broadcasts a second rather than one per arrival. Within a batch only the
 * newest BOARD_ROWS arrivals and the newest counts per group are sent (the page lists no more rows;
 * counts are cumulative). The door goes first: while it is deciding
 * the batch waits for it, for at most `maxHoldMs`, so a broadcast does not land in the middle of a
 * decision on a two-core Pi. Each broadcast is written in chunks of clients with a turn of the event
 * loop in between, so a decision that is waiting for its fsync callback is not held up behind fifty
 * socket writes.
 */
class ArrivalBroadcaster {
  private arrivals: BoardArrival[] = [];
  private countsByGroup = new Map<string, BoardCounts>();
  private firstQueuedMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  private sending = false;
  private stopped = false;

  constructor(
    private readonly nsp: Namespace,
    private readonly clients: Map<string, ClientState>,
    private readonly limits: BoardLimits,
    private readonly log: Logger,
    private readonly door: DoorActivity | null,
  ) {}

  arrival(arrival: BoardArrival): void {
    this.noteQueued();
    this.arrivals.push(arrival);
    this.schedule();
  }

  counts(counts: BoardCounts): void {
    this.noteQueued();
    for (const group of counts.groups) {
      const known = this.countsByGroup.get(group.group);
      if (known === undefined || known.seq <= counts.seq) this.countsByGroup.set(group.group, { seq: counts.seq, groups: [group] });
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private noteQueued(): void {
    if (this.arrivals.length === 0 && this.countsByGroup.size === 0) this.firstQueuedMs = Date.now();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    const earliest = this.lastFlushMs + this.limits.minIntervalMs - Date.now();
    this.timer = setTimeout(() => this.flush(), Math.max(this.limits.batchMs, earliest));
  }

  private flush(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.sending || this.doorFirst()) {
      this.timer = setTimeout(() => this.flush(), this.sending ? this.limits.batchMs : DOOR_POLL_MS);
      return;
    }
    // Arrivals are queued in commit (seq) order; the page lists the newest BOARD_ROWS.
    const message = { arrivals: this.arrivals.slice(-BOARD_ROWS), counts: [...this.countsByGroup.values()].sort((a, b) => a.seq - b.seq) };
    this.arrivals = [];
    this.countsByGroup = new Map();
    if (message.arrivals.length === 0 && message.counts.length === 0) return;
    this.lastFlushMs = Date.now();
    const ids = [...this.clients].filter(([, state]) => state.live).map(([id]) => id);
    this.sending = true;
    this.sendChunk(message, ids, 0);
  }

  /** True while the batch should wait for the door (it is deciding and the batch is young enough). */
  private doorFirst(): boolean {
    return this.door !== null && Date.now() - this.firstQueuedMs < this.limits.maxHoldMs && this.door.isDeciding();
  }

  private sendChunk(message: object, ids: string[], from: number): void {
    const chunk = ids.slice(from, from + CLIENTS_PER_CHUNK).filter((id) => this.keepsUp(id));
    if (chunk.length > 0 && !this.stopped) this.nsp.to(chunk).emit('arrivals', message);
    if (from + CLIENTS_PER_CHUNK < ids.length && !this.stopped) {
      setImmediate(() => this.sendChunk(message, ids, from + CLIENTS_PER_CHUNK));
      return;
    }
    this.sending = false;
    if (this.arrivals.length > 0 || this.countsByGroup.size > 0) this.schedule();
  }

  /** Counts a packet for the client; a client whose transport has not drained for too long is dropped. */
  private keepsUp(id: string): boolean {
    const socket = this.nsp.sockets.get(id);
    const state = this.clients.get(id);
    if (!socket || !state) return false;
    state.undrained += 1;
    if (state.undrained <= this.limits.maxBufferedPackets) return true;
    this.log.warn({ address: socket.handshake.address }, 'board client disconnected: not draining');
    socket.disconnect(true);
    return false;
  }
}
