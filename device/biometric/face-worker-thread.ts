// The worker-thread side of WorkerFaceEngine (face-worker.ts). The face models and every tensor op
// run here, so a frame's 50-100 ms of detection and description never holds the kiosk's event loop
// while a card is waiting for its decision. One frame at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
import { pino, type Level } from 'pino';
import { createFaceEngine, type BackendChoice, type DetectorOptions } from '../../biometric/face/index.js';
import type { FaceExtraction } from '../../biometric/index.js';

export interface FaceWorkerInit {
  backend: BackendChoice;
  modelDir?: string;
  detector?: Partial<DetectorOptions>;
  logLevel: Level;
  logBase: Record<string, unknown>;
}

/** Main thread -> worker. */
export type FaceWorkerRequest = { kind: 'extract'; id: number; image: Uint8Array } | { kind: 'close' };

/** Worker -> main thread. */
export type FaceWorkerReply =
  | { kind: 'ready'; backend: string; algo: string }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; extraction: FaceExtraction }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'closed' };

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('face-worker-thread must run in a worker thread');
  const init = workerData as FaceWorkerInit;
  const logger = pino({ level: init.logLevel, base: { ...init.logBase, thread: 'face' } });
  const send = (reply: FaceWorkerReply): void => port.postMessage(reply);
  let engine: Awaited<ReturnType<typeof createFaceEngine>>;
  try {
    engine = await createFaceEngine({ backend: init.backend, modelDir: init.modelDir, detector: init.detector, logger });
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  send({ kind: 'ready', backend: engine.backend, algo: engine.algo });
  let queue = Promise.resolve();
  port.on('message', (request: FaceWorkerRequest) => {
    queue = queue.then(async () => {
      if (request.kind === 'close') {
        await engine.close();
        send({ kind: 'closed' });
        port.close();
        return;
      }
      try {
        const image = Buffer.from(request.image.buffer, request.image.byteOffset, request.image.byteLength);
        send({ kind: 'result', id: request.id, extraction: await engine.extract(image) });
      } catch (error) {
        send({ kind: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}

await serve();
