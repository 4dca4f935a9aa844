// The worker-thread side of HubFaceEngine (face-engine.ts): the face models and every TF.js op run
// here, so an enrolment's seconds of decoding, detection and description never hold the hub's event
// loop (the console, the devices' pushes and pulls, the ledger). Photos arrive as bytes in a message
// and leave as descriptors; nothing is written anywhere. One photo at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
import { pino, type Level } from 'pino';
import { createFaceEngine, type FaceExtraction } from '../../biometric/index.js';

export interface FaceThreadInit {
  modelDir?: string;
  logLevel: Level;
}

/** Main thread -> worker. */
export type FaceThreadRequest = { kind: 'extract'; id: number; image: Uint8Array } | { kind: 'close' };

/** Worker -> main thread. */
export type FaceThreadReply =
  | { kind: 'ready'; backend: string; algo: string }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; extraction: FaceExtraction }
  | { kind: 'error'; id: number; message: string };

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('face-thread must run in a worker thread');
  const init = workerData as FaceThreadInit;
  const logger = pino({ level: init.logLevel, base: { thread: 'hub-face' } });
  const send = (reply: FaceThreadReply): void => port.postMessage(reply);
  let engine: Awaited<ReturnType<typeof createFaceEngine>>;
  try {
    // The WASM backend: it ships in its npm package and runs the same on x86_64 and arm64 (GUIDE §3).
    engine = await createFaceEngine({ backend: 'wasm', modelDir: init.modelDir, logger, multipleFaces: 'reject' });
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  send({ kind: 'ready', backend: engine.backend, algo: engine.algo });
  let queue = Promise.resolve();
  port.on('message', (request: FaceThreadRequest) => {
    queue = queue.then(async () => {
      if (request.kind === 'close') {
        await engine.close();
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
