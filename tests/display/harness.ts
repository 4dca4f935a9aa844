// A real kiosk slice for the lobby-board tests and bench/board.ts: a SQLite store in a temp dir,
// the roster cache, a door with a simulated relay, the Kiosk hot path, the board feed, and fastify +
// socket.io on a real port. `restart()` closes everything and reopens on the same files and port,
// as a kiosk restart would.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { v7 as uuidv7 } from 'uuid';
import { StoreBoardFeed, schoolDay } from '../../device/board-feed.js';
import { DoorController } from '../../device/door/index.js';
import { SimulatedRelay } from '../../device/hw/sim/relay.js';
import { Kiosk, type KioskDecision } from '../../device/kiosk/index.js';
import { RosterCache } from '../../device/roster-cache.js';
import { BOARD_SOCKET_SERVER_OPTIONS, BoardThread, createBoardServer, registerBoardRoutes, type BoardServer } from '../../display/index.js';
import type { BoardLanguage, BoardLimits, DoorActivity, LoopbackPredicate } from '../../display/index.js';
import { createFieldCipher, openStore, type EventClock, type Person, type RosterChange, type Store } from '../../sync/store/index.js';
import { closeWithin } from '../../lib/index.js';

export const OFFSET_MINUTES = 300;
/** Where an unset clock starts: a school morning on 1 January 1970. */
const UNSET_CLOCK_BASE_MS = Date.UTC(1970, 0, 1, 3, 0);
export const silent = pino({ level: 'silent' });

/** Real time unless pinned: the page's own clock must agree on what "today" is. */
export class TestClock implements EventClock {
  pinnedWallMs: number | null = null;
  /** True while the wall clock reads 1970 and runs on (a Pi without RTC before NTP). */
  unset = false;
  wallMs(): number {
    return this.pinnedWallMs ?? (this.unset ? UNSET_CLOCK_BASE_MS + performance.now() : Date.now());
  }
  monoMs(): number {
    return performance.now();
  }
  trusted(): boolean {
    return true;
  }
  utcOffsetMinutes(): number {
    return OFFSET_MINUTES;
  }
}

/** Epoch ms of HH:MM today in school time. */
export function todayAt(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return schoolDay(Date.now(), OFFSET_MINUTES).startMs + ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}

export function pupil(id: string, name: string, group: string, extra: Partial<Person> = {}): Person {
  return { id, name, shortName: null, group, role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short', ...extra };
}

function rosterChanges(people: readonly Person[]): RosterChange[] {
  return [
    ...people.map((data): RosterChange => ({ op: 'upsert', type: 'person', data })),
    ...people.map((p): RosterChange => ({ op: 'upsert', type: 'credential', data: { id: `c-${p.id}`, personId: p.id, kind: 'card', value: cardOf(p.id), validFrom: null, validTo: null, singleUse: false } })),
    { op: 'upsert', type: 'schedule', data: { id: 's-all', groups: ['*'], roles: ['student', 'staff', 'visitor', 'guardian'], weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }], doors: [] } },
  ];
}

/** A card UID per person id (upper-case hex, as the roster stores cards). */
export function cardOf(personId: string): string {
  return Buffer.from(personId).toString('hex').toUpperCase();
}

export interface HarnessOptions {
  people: readonly Person[];
  language?: BoardLanguage;
  tokens?: string[];
  bellTime?: string;
  limits?: Partial<BoardLimits>;
  /** Which client addresses the board treats as local (no token); defaults to the real `isLoopback`. */
  isLoopback?: LoopbackPredicate;
  /** Whether the door is deciding, as the board sees it; defaults to the harness's kiosk. */
  door?: DoorActivity;
  /** Start with the wall clock unset (1970) until the test sets `clock.unset = false`. */
  clockUnset?: boolean;
  /** The board's socket server on its own thread and port (BoardThread), as the kiosk runs it by default. */
  thread?: boolean;
}

interface Running {
  store: Store;
  roster: RosterCache;
  kiosk: Kiosk;
  feed: StoreBoardFeed;
  board: BoardServer | BoardThread;
  app: FastifyInstance;
  io: Server;
  relay: SimulatedRelay;
  door: DoorController;
}

export class BoardHarness {
  readonly clock = new TestClock();
  port = 0;
  private running: Running | null = null;
  private readonly key = randomBytes(32);

  private constructor(
    readonly dir: string,
    private readonly options: HarnessOptions,
  ) {}

  static async start(options: HarnessOptions): Promise<BoardHarness> {
    const harness = new BoardHarness(await mkdtemp(join(tmpdir(), 'esik-board-')), options);
    harness.clock.unset = options.clockUnset ?? false;
    await harness.open(true);
    return harness;
  }

  get parts(): Running {
    if (this.running === null) throw new Error('harness is stopped');
    return this.running;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A card presented at the main door through the real kiosk hot path. */
  async present(personId: string, direction: 'in' | 'out' = 'in', atWallMs?: number): Promise<KioskDecision | null> {
    const { kiosk } = this.parts;
    this.clock.pinnedWallMs = atWallMs ?? null;
    try {
      return await kiosk.submit({ kind: 'card', readerId: `reader-${direction}`, monoMs: this.clock.monoMs(), value: cardOf(personId) }, 'main', direction);
    } finally {
      this.clock.pinnedWallMs = null;
    }
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (r === null) return;
    this.running = null;
    r.feed.stop();
    await r.board.close();
    await r.kiosk.drain();
    // As the kiosk closes them (device/main.ts): a page's preconnected socket must not hold the restart.
    await closeWithin(r.app.server, () => r.io.close().catch(() => undefined));
    await closeWithin(r.app.server, () => r.app.close());
    await r.door.close();
    await r.store.close();
  }

  /** Reopens on the same files and port; `whileOffline` runs before the server listens again. */
  async restart(whileOffline?: () => Promise<void>): Promise<void> {
    await this.stop();
    await this.open(false, whileOffline);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async open(first: boolean, beforeListen?: () => Promise<void>): Promise<void> {
    const logger = silent;
    const store = await openStore({ path: join(this.dir, 'esik.db'), deviceId: 'kiosk-1', bootId: uuidv7(), clock: this.clock, cipher: createFieldCipher(this.key, 'k1'), logger, skipIntegrityCheck: true });
    if (first) await store.roster.applyLocal(rosterChanges(this.options.people));
    const roster = await RosterCache.load(store.roster);
    const relay = new SimulatedRelay('main.in');
    const door = new DoorController({ name: 'main', kind: 'door', lockType: 'fail-secure', pulseMs: 20, heldOpenMs: 60_000, relays: { in: relay }, logger });
    await door.ready;
    const kiosk = new Kiosk({ events: store.events, roster, doors: [door], clock: this.clock, logger, antiPassback: 'off', mode: 'normal', failMode: 'secure' });
    const feed = new StoreBoardFeed({ events: store.events, roster, clock: this.clock, logger, bellTime: this.options.bellTime ?? '08:00' });
    feed.attach(kiosk);
    await feed.start();
    const app = Fastify({ logger: false });
    const io = new Server(app.server, { ...BOARD_SOCKET_SERVER_OPTIONS, serveClient: true });
    const common = { feed, language: this.options.language ?? 'kk', tokens: this.options.tokens ?? [], logger, utcOffsetMinutes: OFFSET_MINUTES, limits: this.options.limits };
    const board = this.options.thread
      ? await BoardThread.start({ ...common, host: '127.0.0.1', port: 0 })
      : createBoardServer({ ...common, io, door: this.options.door ?? kiosk, isLoopback: this.options.isLoopback });
    const socketPort = board instanceof BoardThread ? board.port : undefined;
    await registerBoardRoutes(app, { tokens: this.options.tokens ?? [], isLoopback: this.options.isLoopback, socketPort });
    this.running = { store, roster, kiosk, feed, board, app, io, relay, door };
    await beforeListen?.();
    await app.listen({ host: '127.0.0.1', port: this.port });
    const address = app.server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
  }
}
