// scrypt on a thread of its own. Async crypto.scrypt runs on libuv's pool, the same four threads
// that carry the hub's SQLite work: a flood of wrong tokens queued there stalled every device's
// requests for seconds. scryptSync on one dedicated worker thread runs verifications one at a time
// and leaves the pool to the database; the caller bounds how many may wait (hub-auth.ts).
import { Worker } from 'node:worker_threads';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

// Plain JavaScript evaluated by the worker (no build step or loader needed, same under tsx and tsc).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.secret, Buffer.from(job.salt), job.keyLength, { N: job.N, r: job.r, p: job.p, maxmem: 64 * 1024 * 1024 });
    parentPort.postMessage({ id: job.id, key });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String((error && error.message) || error) });
  }
});`;

interface Answer {
  id: number;
  key?: Uint8Array;
  error?: string;
}

export class ScryptWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (key: Buffer) => void; reject: (error: Error) => void }>();

  /** Derives a key on the worker thread; jobs run one after another in the order given. */
  derive(secret: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, secret, salt: new Uint8Array(salt), keyLength, ...params });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.failAll(new Error('scrypt worker closed'));
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // The hub may exit while the worker idles; it must not keep the process alive by itself.
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const entry = this.waiting.get(answer.id);
      if (!entry) return;
      this.waiting.delete(answer.id);
      if (answer.key) entry.resolve(Buffer.from(answer.key));
      else entry.reject(new Error(answer.error ?? 'scrypt failed'));
    });
    const lost = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      this.failAll(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`scrypt worker exited with ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const entry of this.waiting.values()) entry.reject(error);
    this.waiting.clear();
  }
}
