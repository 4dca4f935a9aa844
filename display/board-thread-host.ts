// The lobby board's socket.io server on its own worker thread and port (board-thread.ts), fed from
// the main thread. Why: with the server on the kiosk's event loop, a burst of arrivals meant
// fifty socket writes per batch between the door's decisions, and the 50-client decision p99 was
// 1.17-1.25x the 0-client one (`npm run bench -- board`). Here the main thread forwards each turn's
// arrivals and counts in one message and answers the thread's snapshot requests from SQLite; the
// thread answers its clients from memory and asks at most once per `limits.snapshotBuildIntervalMs`
// (SnapshotCache), so sixty screens saying hello cost this thread no more than one.
// If the thread dies, it is started again after a second; the pages reconnect and catch up by seq.
import { Worker } from 'node:worker_threads';
import type { Level, Logger } from 'pino';
import type { BoardArrival, BoardCounts, BoardFeed } from './feed.js';
import { BOARD_THREAD_NICE, type BoardLimits } from './config.js';
import type { BoardLanguage } from './i18n.js';
import type { BoardThreadInit, FromBoardThread, ToBoardThread } from './board-thread.js';
import { workerScript } from '../lib/index.js';

export interface BoardThreadOptions {
  feed: BoardFeed;
  /** Where the thread listens (port 0: any free port; `port` says which after start). */
  host: string;
  port: number;
  language: BoardLanguage;
  tokens: readonly string[];
  limits?: Partial<BoardLimits>;
  utcOffsetMinutes: number;
  /** The thread's nice value; BOARD_THREAD_NICE unless set. */
  nice?: number;
  logger: Logger;
  restartDelayMs?: number;
}

export class BoardThread {
  /** The port the board's socket.io server listens on (the page connects there). */
  port = 0;
  /** The thread's id in the OS, where /proc/self/task/ID/stat shows its nice value; null without /proc. */
  threadId: number | null = null;
  private worker: Worker | null = null;
  private clients = 0;
  private closing = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private pending: { arrivals: BoardArrival[]; counts: BoardCounts[] } | null = null;
  private readonly log: Logger;
  private readonly onArrival = (arrival: BoardArrival): void => {
    this.queue().arrivals.push(arrival);
  };
  private readonly onCounts = (counts: BoardCounts): void => {
    this.queue().counts.push(counts);
  };

  private constructor(private readonly options: BoardThreadOptions) {
    this.log = options.logger.child({ ns: 'board-thread' });
  }

  /** Starts the thread; resolves once it listens, rejects if it cannot (the port is taken). */
  static async start(options: BoardThreadOptions): Promise<BoardThread> {
    const thread = new BoardThread(options);
    await thread.spawn(options.port);
    options.feed.on('arrival', thread.onArrival);
    options.feed.on('counts', thread.onCounts);
    return thread;
  }

  clientCount(): number {
    return this.clients;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.options.feed.off('arrival', this.onArrival);
    this.options.feed.off('counts', this.onCounts);
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.post(worker, { kind: 'close' });
    const timeout = setTimeout(() => void worker.terminate(), 3000);
    await exited;
    clearTimeout(timeout);
  }

  /** This turn's updates, sent together once the turn is over (one message for a whole burst turn). */
  private queue(): { arrivals: BoardArrival[]; counts: BoardCounts[] } {
    if (this.pending === null) {
      const pending = { arrivals: [] as BoardArrival[], counts: [] as BoardCounts[] };
      this.pending = pending;
      setImmediate(() => {
        this.pending = null;
        if (this.worker !== null) this.post(this.worker, { kind: 'updates', ...pending });
      });
    }
    return this.pending;
  }

  private post(worker: Worker, message: ToBoardThread): void {
    worker.postMessage(message);
  }

  private spawn(port: number): Promise<void> {
    const { script, options } = workerScript(import.meta.url, 'board-thread');
    const init: BoardThreadInit = {
      host: this.options.host,
      port,
      language: this.options.language,
      tokens: this.options.tokens,
      limits: this.options.limits ?? {},
      utcOffsetMinutes: this.options.utcOffsetMinutes,
      nice: this.options.nice ?? BOARD_THREAD_NICE,
      logLevel: (this.options.logger.level as Level | undefined) ?? 'info',
      logBase: this.options.logger.bindings(),
    };
    const worker = new Worker(script, { ...options, workerData: init, name: 'esik-board' });
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: FromBoardThread) => {
        if (message.kind === 'listening') {
          listening = true;
          this.worker = worker;
          this.port = message.port;
          this.threadId = message.threadId;
          resolve();
        } else if (message.kind === 'failed') {
          reject(new Error(`board thread cannot listen on ${this.options.host}:${port}: ${message.message}`));
          void worker.terminate();
        } else if (message.kind === 'clients') this.clients = message.count;
        else if (message.kind === 'snapshot') this.answerSnapshot(worker, message.id, message.afterSeq);
      });
      worker.on('error', (error) => this.log.error({ err: error }, 'board thread failed'));
      worker.on('exit', (code) => {
        if (!listening) reject(new Error(`board thread exited (code ${code}) before it listened`));
        else this.exited(worker, code);
      });
    });
  }

  private answerSnapshot(worker: Worker, id: number, afterSeq: number | undefined): void {
    this.options.feed.snapshot(afterSeq).then(
      (snapshot) => this.post(worker, { kind: 'snapshot', id, snapshot }),
      (error: unknown) => this.post(worker, { kind: 'snapshot-failed', id, message: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** The thread is gone: start another on the same port (its clients reconnect and catch up by seq). */
  private exited(worker: Worker, code: number): void {
    if (this.worker === worker) this.worker = null;
    this.clients = 0;
    if (this.closing) return;
    const delay = this.options.restartDelayMs ?? 1000;
    this.log.error({ code, restartInMs: delay }, 'board thread exited; lobby screens pause until it is back');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn(this.port).then(
        () => this.log.info({ port: this.port }, 'board thread back'),
        (error: unknown) => {
          this.log.error({ err: error }, 'board thread could not be restarted');
          if (!this.closing) this.exited(worker, -1);
        },
      );
    }, delay);
  }
}
