// The kiosk's face engine on its own worker thread. TF.js on wasm runs every op synchronously on
// the thread that calls it: on the main thread a stream of frames held the event loop for 98 ms at
// p99 and 370 ms at worst, and a card at the other turnstile waited for it; on the worker the main
// thread's loop delay is 2.9 ms at p99 (`npm run bench -- pipeline`). Here the main thread only posts the JPEG bytes and gets the
// descriptor back; a crash or an out-of-memory in the models ends the worker, not the kiosk, and
// the worker is started again with a back-off while cards and palms carry on.
import { Worker } from 'node:worker_threads';
import type { Level, Logger } from 'pino';
import type { BackendChoice, DetectorOptions } from '../../biometric/face/index.js';
import { exponentialDelay, workerScript, type BackoffPolicy } from '../../lib/index.js';
import type { FaceEngine, FaceExtraction } from '../../biometric/index.js';
import type { FaceWorkerInit, FaceWorkerReply, FaceWorkerRequest } from './face-worker-thread.js';

export interface WorkerFaceEngineOptions {
  backend: BackendChoice;
  modelDir?: string;
  /** Detector settings (the kiosk's come from `biometric.faceDetector`). */
  detector?: Partial<DetectorOptions>;
  logger: Logger;
  /** Back-off between restarts after unexpected exits (lib/backoff.ts; default 1 s doubling to 30 s). */
  restartBackoff?: BackoffPolicy;
  /** A worker that stayed up this long before it died starts the back-off afresh (default 10 min). */
  stableAfterMs?: number;
  /** The worker script speaking FaceWorkerRequest/Reply; defaults to face-worker-thread (tests pass a fake). */
  script?: URL;
}

interface Pending {
  resolve: (extraction: FaceExtraction) => void;
  reject: (error: Error) => void;
}

/** The first restart after a second, then doubling up to every 30 s for a worker that keeps dying. */
const DEFAULT_RESTART_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };
/**
 * Without a reset, one crash a day would walk the delay up to the cap within a week, and a single
 * crash after months of service would pause face identification for 30 s instead of 1 s.
 */
const DEFAULT_STABLE_AFTER_MS = 10 * 60_000;

/**
 * A small young generation for the worker's V8 heap. Loading the models makes ~40 MB of short-lived
 * JavaScript garbage, and V8 keeps a young generation as large as it once grew (to 16 MB per
 * semi-space) committed for good; at 4 MB the worker holds ~20 MB less for the kiosk's lifetime
 * (`npm run bench -- pipeline`). A frame's own garbage is small, so scavenges stay cheap.
 */
const FACE_WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

export class WorkerFaceEngine implements FaceEngine {
  backend = 'starting';
  algo = '';
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  /** performance.now() when the current worker said it was ready. */
  private readyAt = 0;
  private readonly log: Logger;

  private constructor(private readonly options: WorkerFaceEngineOptions) {
    this.log = options.logger.child({ ns: 'face-worker' });
  }

  /** Starts the worker; resolves once its models are loaded, rejects if they cannot be. */
  static async start(options: WorkerFaceEngineOptions): Promise<WorkerFaceEngine> {
    const engine = new WorkerFaceEngine(options);
    await engine.spawn();
    return engine;
  }

  extract(image: Buffer): Promise<FaceExtraction> {
    const worker = this.worker;
    if (worker === null || this.closing) return Promise.reject(new Error(this.closing ? 'face engine is closed' : 'face worker is restarting'));
    const id = this.nextId++;
    // A copy of the bytes is moved to the worker: the caller's Buffer may share a pooled ArrayBuffer.
    const copy = new Uint8Array(image);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: FaceWorkerRequest = { kind: 'extract', id, image: copy };
      worker.postMessage(request, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const request: FaceWorkerRequest = { kind: 'close' };
    worker.postMessage(request);
    const timeout = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timeout);
  }

  private spawn(): Promise<void> {
    const entry = this.options.script === undefined ? workerScript(import.meta.url, 'face-worker-thread') : { script: this.options.script, options: { eval: false } };
    const init: FaceWorkerInit = {
      backend: this.options.backend,
      modelDir: this.options.modelDir,
      detector: this.options.detector,
      logLevel: (this.options.logger.level as Level | undefined) ?? 'info',
      logBase: this.options.logger.bindings(),
    };
    const worker = new Worker(entry.script, { ...entry.options, workerData: init, name: 'esik-face', resourceLimits: FACE_WORKER_LIMITS });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (reply: FaceWorkerReply) => {
        if (reply.kind === 'ready') {
          ready = true;
          this.readyAt = performance.now();
          this.worker = worker;
          this.backend = reply.backend;
          this.algo = reply.algo;
          resolve();
        } else if (reply.kind === 'failed') {
          reject(new Error(reply.message));
          void worker.terminate();
        } else this.settle(reply);
      });
      worker.on('error', (error) => {
        this.log.error({ err: error }, 'face worker failed');
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`face worker exited (code ${code}) before its models were loaded`));
        else this.exited(worker, code);
      });
    });
  }

  private settle(reply: FaceWorkerReply): void {
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (reply.kind === 'result') pending.resolve(reply.extraction);
    else pending.reject(new Error(reply.message));
  }

  /** The worker is gone: fail what it held, and start another unless the kiosk is closing. */
  private exited(worker: Worker, code: number): void {
    if (this.worker === worker) this.worker = null;
    for (const pending of this.pending.values()) pending.reject(new Error(`face worker exited (code ${code})`));
    this.pending.clear();
    if (this.closing) return;
    if (code !== -1 && performance.now() - this.readyAt >= (this.options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS)) this.restarts = 0;
    const delay = exponentialDelay(this.restarts, this.options.restartBackoff ?? DEFAULT_RESTART_BACKOFF);
    this.restarts += 1;
    this.log.error({ code, restartInMs: delay }, 'face worker exited; face identification paused until it is back');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn().then(
        () => this.log.info({ restarts: this.restarts }, 'face worker back'),
        (error: unknown) => {
          this.log.error({ err: error }, 'face worker could not be restarted');
          if (!this.closing) this.exited(worker, -1);
        },
      );
    }, delay);
  }
}

