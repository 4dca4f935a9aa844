// Technician PINs are verified on a thread of their own, one at a time. A wrong-PIN flood once ran
// every guess's scrypt on libuv's thread pool, which sqlite3 also uses: a card decision waited 27 s
// for its commit. Here the scrypt is the synchronous call on a dedicated worker thread (a worker's
// async calls would still go to the process-wide pool), and a second PIN while one is being
// checked is refused at once (PinVerifierBusy -> HTTP 429), never queued. The thread starts on the
// first PIN and ends after a quiet minute: a kiosk nobody logs into keeps no idle isolate.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { workerScript } from '../../lib/index.js';
import type { PinVerifyReply, PinVerifyRequest } from './pin-verify-thread.js';
import { PinVerifierBusy } from './technician-pin.js';

export interface PinVerifierThreadOptions {
  logger: Logger;
  /** The thread ends after this long without a PIN (default 60 s). */
  idleMs?: number;
}

export interface PinVerifierStats {
  /** PINs verified on the thread. */
  verified: number;
  /** PINs refused because another was being verified. */
  refusedBusy: number;
  /** The most verifications ever in flight at once (1 by construction). */
  maxConcurrent: number;
  threadRunning: boolean;
}

interface InFlight {
  id: number;
  resolve: (right: boolean) => void;
  reject: (error: Error) => void;
}

export class PinVerifierThread {
  /** The running (or starting) thread; null while none is needed. */
  private current: { worker: Worker; ready: Promise<Worker> } | null = null;
  private inFlight: InFlight | null = null;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly stats: PinVerifierStats = { verified: 0, refusedBusy: 0, maxConcurrent: 0, threadRunning: false };
  private readonly log: Logger;

  constructor(private readonly options: PinVerifierThreadOptions) {
    this.log = options.logger.child({ ns: 'pin-verifier' });
  }

  /** True for the right PIN; rejects with PinVerifierBusy while another PIN is being verified. */
  readonly verify = (pin: string, hash: string): Promise<boolean> => {
    if (this.closed) return Promise.reject(new Error('the PIN verifier is closed'));
    if (this.inFlight !== null) {
      this.stats.refusedBusy += 1;
      return Promise.reject(new PinVerifierBusy());
    }
    const id = this.nextId++;
    return new Promise<boolean>((resolve, reject) => {
      this.inFlight = { id, resolve, reject };
      this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, 1);
      this.cancelIdleStop();
      this.thread().then(
        (worker) => {
          const request: PinVerifyRequest = { id, pin, hash };
          worker.postMessage(request);
        },
        (error: unknown) => this.settle(id, error instanceof Error ? error : new Error(String(error))),
      );
    });
  };

  status(): PinVerifierStats {
    return { ...this.stats, threadRunning: this.current !== null };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelIdleStop();
    await this.stopThread();
  }

  private thread(): Promise<Worker> {
    if (this.current !== null) return this.current.ready;
    const entry = workerScript(import.meta.url, 'pin-verify-thread');
    const worker = new Worker(entry.script, { ...entry.options, name: 'esik-pin' });
    const ready = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: PinVerifyReply | 'ready') => {
        if (message === 'ready') resolve(worker);
        else this.settle(message.id, message.ok ? message.right : new Error(message.message));
      });
      worker.on('error', (error) => {
        this.log.error({ err: error }, 'PIN verifier thread failed');
        reject(error);
      });
      worker.on('exit', (code) => {
        reject(new Error(`PIN verifier thread exited (code ${code}) before it was ready`));
        // Only this thread's own end concerns the PIN in flight: an idle thread being stopped is not it.
        if (this.current?.worker !== worker) return;
        this.current = null;
        if (this.inFlight !== null) this.settle(this.inFlight.id, new Error(`PIN verifier thread exited (code ${code})`));
      });
    });
    this.current = { worker, ready };
    return ready;
  }

  private settle(id: number, outcome: boolean | Error): void {
    const current = this.inFlight;
    if (current === null || current.id !== id) return;
    this.inFlight = null;
    if (outcome instanceof Error) current.reject(outcome);
    else {
      this.stats.verified += 1;
      current.resolve(outcome);
    }
    this.scheduleIdleStop();
  }

  private scheduleIdleStop(): void {
    this.cancelIdleStop();
    this.idleTimer = setTimeout(() => void this.stopThread(), this.options.idleMs ?? 60_000);
    this.idleTimer.unref();
  }

  private cancelIdleStop(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private async stopThread(): Promise<void> {
    const current = this.current;
    if (current === null || this.inFlight !== null) return;
    this.current = null;
    const worker = await current.ready.catch(() => null);
    if (worker !== null) await worker.terminate();
  }
}
