// The hub-side consumer of the desks' library events: reads the hub's events in hub-seq order from
// its durable cursor (library_cursor) and folds each page into the loans table in the transaction
// that moves the cursor, like the notifier's planner. A start/stop lifecycle polls while running.
import { PollingLoop } from '../../lib/index.js';
import type { HubStorage } from '../storage.js';
import type { LibraryStore } from './types.js';

export interface LoanFolderOptions {
  pageSize: number;
  intervalMs: number;
}

export const DEFAULT_LOAN_FOLDER_OPTIONS: LoanFolderOptions = { pageSize: 500, intervalMs: 2000 };

interface FolderLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

export class LoanFolder {
  readonly #loop: PollingLoop;

  constructor(
    private readonly storage: HubStorage,
    private readonly library: LibraryStore,
    private readonly logger: FolderLogger,
    private readonly now: () => number = Date.now,
    private readonly options: LoanFolderOptions = DEFAULT_LOAN_FOLDER_OPTIONS,
  ) {
    this.#loop = new PollingLoop(() => this.catchUp(), options.intervalMs, (error) => logger.warn({ err: error }, 'library fold failed; retrying'));
  }

  /** Folds pages until the reader is caught up. Returns how many hub events it read. */
  async catchUp(): Promise<number> {
    let read = 0;
    for (;;) {
      const from = await this.library.cursor();
      const page = await this.storage.readEvents(from, this.options.pageSize);
      for (const bad of page.skipped) this.logger.warn({ hubSeq: bad.hubSeq, deviceId: bad.deviceId, error: bad.error }, 'library fold skipped an unreadable event');
      if (page.lastHubSeq === null || page.lastHubSeq <= from) return read;
      // Another hub process moved the cursor first: it folded this page; read on from where it is.
      if (await this.library.foldPage(from, page.lastHubSeq, page.events, this.now())) read += page.events.length;
      if (!page.more) return read;
    }
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops polling and waits for a fold in progress. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
