// One johnny-five Board per serial port, opened on first use and shared by every relay and input
// on it (a second `new Board` on the same port would fight over the serial line). johnny-five is
// imported lazily so a kiosk without a Firmata board never loads serialport.
import type { Board, BoardOption } from 'johnny-five';
import type { Logger } from 'pino';
import type { FirmataBoardOpener } from '../deps.js';

const READY_TIMEOUT_MS = 15_000;

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

/**
 * Returns an opener that memoises one board per port. A failed open is forgotten so the next
 * caller (e.g. `esik doctor` or a restart of the door) can try again.
 */
export function createFirmataBoardPool(logger: Logger, open: FirmataBoardOpener = (port) => openBoard(port, logger)): FirmataBoardOpener {
  const boards = new Map<string, Promise<Board>>();
  return (port) => {
    const key = port ?? '(auto)';
    let pending = boards.get(key);
    if (!pending) {
      pending = open(port);
      boards.set(key, pending);
      pending.catch(() => boards.delete(key));
    }
    return pending;
  };
}
