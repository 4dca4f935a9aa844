// The hub's face engine for enrolment: the project's own biometric engine (biometric/, the same
// descriptor and FACE_ALGO the kiosks match with) on a worker thread, started lazily on the first
// enrolment and kept for the life of the process: loading the models takes seconds and ~100 MB, which
// a hub that never enrols should not pay. A crash of the worker fails the photos it held; the next
// enrolment starts a fresh one. The kiosk's WorkerFaceEngine (device/biometric) restarts itself with
// a back-off because frames never stop; here a person is waiting at a page, so starting on demand is
// enough, and the hub build takes no kiosk code.
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { Level } from 'pino';
import type { FaceExtraction } from '../../biometric/index.js';
import { workerScript } from '../../lib/index.js';
import type { FaceThreadInit, FaceThreadReply, FaceThreadRequest } from './face-thread.js';

/** What enrolment needs: a descriptor (or a refusal with its reason) per photo, and the model's name. */
export interface EnrolmentFaceEngine {
  /** Loads the models if they are not yet loaded; resolves to the algo, rejects if they cannot be. */
  start(): Promise<string>;
  extract(image: Buffer): Promise<{ algo: string; extraction: FaceExtraction }>;
  close(): Promise<void>;
}

export interface HubFaceEngineOptions {
  /** The hub's logger (fastify's, a pino logger). */
  logger: FastifyBaseLogger;
  /** The face-api weights (default: the installed package's model/ folder). */
  modelDir?: string;
}

interface Loaded {
  worker: Worker;
  algo: string;
}

interface Pending {
  resolve: (extraction: FaceExtraction) => void;
  reject: (error: Error) => void;
}

export class HubFaceEngine implements EnrolmentFaceEngine {
  private loading: Promise<Loaded> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly log: FastifyBaseLogger;

  constructor(private readonly options: HubFaceEngineOptions) {
    this.log = options.logger.child({ ns: 'hub-face' });
  }

  async start(): Promise<string> {
    return (await this.load()).algo;
  }

  async extract(image: Buffer): Promise<{ algo: string; extraction: FaceExtraction }> {
    const { worker, algo } = await this.load();
    const id = this.nextId++;
    // A copy is moved to the worker (the caller's Buffer may share a pooled ArrayBuffer); the
    // caller drops its own once the page is answered.
    const copy = new Uint8Array(image);
    const extraction = await new Promise<FaceExtraction>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: FaceThreadRequest = { kind: 'extract', id, image: copy };
      worker.postMessage(request, [copy.buffer]);
    });
    return { algo, extraction };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loading = this.loading;
    if (loading === null) return;
    const loaded = await loading.catch(() => null);
    if (loaded === null) return;
    const exited = new Promise<void>((resolve) => loaded.worker.once('exit', () => resolve()));
    const request: FaceThreadRequest = { kind: 'close' };
    loaded.worker.postMessage(request);
    const timeout = setTimeout(() => void loaded.worker.terminate(), 5000);
    await exited;
    clearTimeout(timeout);
  }

  private load(): Promise<Loaded> {
    if (this.closed) return Promise.reject(new Error('face engine is closed'));
    this.loading ??= this.spawn();
    return this.loading;
  }

  private spawn(): Promise<Loaded> {
    const entry = workerScript(import.meta.url, 'face-thread');
    const init: FaceThreadInit = { modelDir: this.options.modelDir, logLevel: this.options.logger.level as Level };
    const worker = new Worker(entry.script, { ...entry.options, workerData: init, name: 'esik-hub-face' });
    this.log.info('loading the face models for enrolment');
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (reply: FaceThreadReply) => {
        if (reply.kind === 'ready') {
          ready = true;
          this.log.info({ backend: reply.backend, algo: reply.algo }, 'face engine ready');
          resolve({ worker, algo: reply.algo });
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
        this.exited(code);
      });
    });
  }

  private settle(reply: FaceThreadReply): void {
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (reply.kind === 'result') pending.resolve(reply.extraction);
    else pending.reject(new Error(reply.message));
  }

  /** The worker is gone: fail what it held; the next enrolment loads a fresh one. */
  private exited(code: number): void {
    for (const pending of this.pending.values()) pending.reject(new Error(`face worker exited (code ${code})`));
    this.pending.clear();
    this.loading = null;
    if (!this.closed) this.log.warn({ code }, 'face worker exited');
  }
}
