// One johnny-five Board per serial port, opened on first use and shared by every relay and input
// on it (a second `new Board` on the same port would fight over the serial line). johnny-five is
// imported lazily so a kiosk without a Firmata board never loads serialport.
import type { Board, BoardOption } from 'johnny-five';
import type { Logger } from 'pino';
import type { FirmataBoardOpener } from '../deps.js';

const READY_TIMEOUT_MS = 15_000;
const CLOSE_DEADLINE_MS = 2_000;

async function openBoard(port: string | undefined, logger: Logger): Promise<Board> {
  const five = await import('johnny-five');
  const BoardClass = five.Board ?? (five as unknown as { default: { Board: typeof Board } }).default.Board;
  // sigint: false - johnny-five otherwise installs its own SIGINT handler that force-exits within
  // a second, before the kiosk's shutdown has put the doors in their safe state.
  const options: BoardOption & { sigint: boolean } = { port, repl: false, debug: false, timeout: READY_TIMEOUT_MS, sigint: false };
  const board = new BoardClass(options);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Firmata board ${port ?? '(auto)'} not ready in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    board.on('ready', () => {
      clearTimeout(timer);
      resolve();
    });
    board.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  logger.info({ port: board.port }, 'Firmata board ready');
  return board;
}

/** The serial line under a board: a serialport SerialPort (or a test's fake of one). */
interface SerialTransport {
  close(callback?: (error?: Error | null) => void): unknown;
  isOpen?: boolean;
}

function transportOf(board: Board): SerialTransport | null {
  const candidate: unknown = (board as unknown as { transport?: unknown }).transport;
  if (candidate === null || typeof candidate !== 'object') return null;
  return typeof (candidate as { close?: unknown }).close === 'function' ? (candidate as SerialTransport) : null;
}

/**
 * Closes the board's serial port so the tty is released at shutdown (a restarted kiosk, or
 * `esik doctor`, can open it at once). Bounded: a wedged USB adapter must not hold up the exit.
 */
export async function closeFirmataBoard(board: Board, logger: Logger, deadlineMs = CLOSE_DEADLINE_MS): Promise<void> {
  const transport = transportOf(board);
  if (transport === null || transport.isOpen === false) return;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve, reject) => {
    transport.close((error) => (error ? reject(error) : resolve()));
  });
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn({ port: board.port, deadlineMs }, 'Firmata serial port did not confirm close in time');
      resolve();
    }, deadlineMs);
  });
  try {
    await Promise.race([closed, deadline]);
  } catch (error) {
    logger.warn({ err: error, port: board.port }, 'Firmata serial port close failed');
  } finally {
    clearTimeout(timer);
  }
}

/** An opener that memoises one board per port, and closes every board it opened on close(). */
export type FirmataBoardPool = FirmataBoardOpener & { close(): Promise<void> };

/**
 * Returns an opener that memoises one board per port. A failed open is forgotten so the next
 * caller (e.g. `esik doctor` or a restart of the door) can try again. close() releases every
 * serial port; call it after the relays on them have reached their safe state.
 */
export function createFirmataBoardPool(
  logger: Logger,
  open: FirmataBoardOpener = (port) => openBoard(port, logger),
  closeBoard: (board: Board) => Promise<void> = (board) => closeFirmataBoard(board, logger),
): FirmataBoardPool {
  const boards = new Map<string, Promise<Board>>();
  let closed = false;
  const opener: FirmataBoardOpener = (port) => {
    if (closed) return Promise.reject(new Error('the Firmata board pool is closed'));
    const key = port ?? '(auto)';
    let pending = boards.get(key);
    if (!pending) {
      pending = open(port);
      boards.set(key, pending);
      pending.catch(() => boards.delete(key));
    }
    return pending;
  };
  const close = async (): Promise<void> => {
    closed = true;
    const opened = await Promise.allSettled(boards.values());
    boards.clear();
    for (const result of opened) if (result.status === 'fulfilled') await closeBoard(result.value);
  };
  return Object.assign(opener, { close });
}
