// Wires the lobby board into the kiosk: the feed over the store and roster, the /board page and
// socket.io namespace, and the optional LED matrix (lobby) and LCD (kiosk) from config.
// Every display update is deferred off the decision path and its failures are logged, never thrown:
// a broken screen must not touch the door.
import type { Logger } from 'pino';
import { BoardThread, createBoardServer, registerBoardRoutes } from '../../display/index.js';
import type { BoardConfig, LcdConfig, MatrixConfig } from '../../display/index.js';
import { StoreBoardFeed } from '../board-feed.js';
import { greetingLines } from '../greeting.js';
import { createFirmataBoardPool } from '../hw/index.js';
import { LcdDisplay, RecordingTextDisplay } from '../hw/index.js';
import { MatrixDisplay } from '../hw/index.js';
import type { FirmataBoardOpener } from '../hw/index.js';
import type { TextDisplay } from '../hw/index.js';
import type { KioskServices } from '../services.js';

/** The board's socket server, on its own thread (the default) or on the kiosk's socket.io server. */
export interface BoardSocketServer {
  clientCount(): number;
  close(): void | Promise<void>;
}

export interface BoardWiring {
  feed: StoreBoardFeed;
  server: BoardSocketServer;
  /** The port the page's socket connects to: the board thread's, or null for the kiosk's own. */
  socketPort: number | null;
  matrix: TextDisplay | null;
  lcd: TextDisplay | null;
}

export interface AttachBoardOptions {
  /** The kiosk's shared Firmata board pool, so a matrix or LCD can sit on the relays' Arduino. */
  openFirmataBoard?: FirmataBoardOpener;
}

export async function attachBoard(services: KioskServices, options: AttachBoardOptions = {}): Promise<BoardWiring | null> {
  const config = services.config.board;
  const logger = services.logger.child({ ns: 'board-wiring' });
  if (!config.enabled) return null;
  const feed = new StoreBoardFeed({
    events: services.store.events,
    roster: services.roster,
    clock: services.clock,
    logger: services.logger,
    bellTime: config.bellTime,
    bellTimes: config.bellTimes,
    nameRoles: config.nameRoles,
    expectedRoles: config.expectedRoles,
    snapshotArrivals: config.limits.snapshotArrivals,
  });
  feed.attach(services.kiosk);
  await feed.start();
  const server = await startBoardServer(services, feed);
  const socketPort = server instanceof BoardThread ? server.port : null;
  await registerBoardRoutes(services.http, { tokens: config.tokens, socketPort: socketPort ?? undefined });
  const openBoard = options.openFirmataBoard ?? createFirmataBoardPool(services.logger);
  const matrix = config.matrix ? await openMatrix(config.matrix, openBoard, services.logger) : null;
  const lcd = config.lcd ? await openLcd(config.lcd, openBoard, services.logger) : null;
  if (matrix) await followArrivalsOnMatrix(feed, matrix, logger);
  if (lcd && config.lcd) greetOnLcd(services, lcd, config, config.lcd.holdMs, logger);

  // What each small display shows now is public at the kiosk anyway, and tells a technician it works.
  services.addStatus('board', () => ({
    clients: server.clientCount(),
    socketPort,
    snapshotBuilds: feed.snapshotBuilds,
    matrix: matrix ? { name: matrix.name, lines: lastShown.get(matrix) ?? [] } : null,
    lcd: lcd ? { name: lcd.name, lines: lastShown.get(lcd) ?? [] } : null,
  }));
  services.onShutdown(async () => {
    feed.stop();
    await server.close();
    await Promise.allSettled([matrix?.close(), lcd?.close()]);
  });
  return { feed, server, socketPort, matrix, lcd };
}

/** On its own thread and port unless `board.thread.enabled` is false; then on the kiosk's socket.io server. */
async function startBoardServer(services: KioskServices, feed: StoreBoardFeed): Promise<BoardSocketServer> {
  const config = services.config.board;
  const common = { feed, language: config.language, tokens: config.tokens, logger: services.logger, utcOffsetMinutes: services.clock.utcOffsetMinutes(), limits: config.limits };
  if (config.thread.enabled) return BoardThread.start({ ...common, host: services.config.http.host, port: config.thread.port, nice: config.thread.nice });
  // On the kiosk's own event loop, a batch waits while the door is deciding (display/server.ts).
  return createBoardServer({ ...common, io: services.io, door: services.kiosk });
}

async function openMatrix(config: MatrixConfig, openBoard: FirmataBoardOpener, logger: Logger): Promise<TextDisplay> {
  if (config.driver === 'sim') return new RecordingTextDisplay('lobby-matrix');
  const board = await openBoard(config.port);
  return MatrixDisplay.create({ name: 'lobby-matrix', board, logger, pins: config.pins, devices: config.devices, stepMs: config.stepMs, brightness: config.brightness });
}

async function openLcd(config: LcdConfig, openBoard: FirmataBoardOpener, logger: Logger): Promise<TextDisplay> {
  if (config.driver === 'sim') return new RecordingTextDisplay('kiosk-lcd');
  const board = await openBoard(config.port);
  return LcdDisplay.create({ name: 'kiosk-lcd', board, logger, controller: config.controller, pins: config.pins, rows: config.rows, cols: config.cols });
}

const lastShown = new WeakMap<TextDisplay, string[]>();

function showLogged(display: TextDisplay, lines: string[], logger: Logger): void {
  lastShown.set(display, lines);
  display.show(lines).catch((error: unknown) => logger.warn({ err: error, display: display.name }, 'display update failed'));
}

/** The matrix shows how many pupils are in (sum over classes) and scrolls the last masked name. */
async function followArrivalsOnMatrix(feed: StoreBoardFeed, matrix: TextDisplay, logger: Logger): Promise<void> {
  const present = new Map<string, number>();
  const total = (): string => String([...present.values()].reduce((a, b) => a + b, 0));
  const snapshot = await feed.snapshot().catch(() => null);
  for (const group of snapshot?.groups ?? []) present.set(group.group, group.present);
  showLogged(matrix, [total()], logger);
  feed.on('counts', (counts) => {
    for (const group of counts.groups) present.set(group.group, group.present);
  });
  // 'arrival' is emitted before its 'counts': wait a tick so the number shown includes it.
  feed.on('arrival', (arrival) => {
    setImmediate(() => showLogged(matrix, [total(), arrival.direction === 'in' ? arrival.displayName : ''], logger));
  });
}

/** The LCD greets after each decision, then clears after `holdMs`. */
function greetOnLcd(services: KioskServices, lcd: TextDisplay, config: BoardConfig, holdMs: number, logger: Logger): void {
  let clearTimer: NodeJS.Timeout | null = null;
  services.kiosk.on('decision', (decision) => {
    setImmediate(() => {
      const lines = greetingLines({ outcome: decision.outcome, reason: decision.reason, direction: decision.direction, person: decision.person }, config.language);
      showLogged(lcd, lines, logger);
      if (clearTimer !== null) clearTimeout(clearTimer);
      clearTimer = setTimeout(() => showLogged(lcd, [], logger), holdMs);
      clearTimer.unref();
    });
  });
}
