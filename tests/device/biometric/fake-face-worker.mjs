// A stand-in for face-worker-thread speaking the same messages, for the worker's life-cycle tests:
// the bytes "crash" end this worker thread (process.exit in a worker ends the thread only), "hang"
// is never answered, anything else is answered as an image without a face.
/* global process, Buffer */
import { parentPort, threadId } from 'node:worker_threads';

parentPort.postMessage({ kind: 'ready', backend: 'fake', algo: `fake-v1-thread-${threadId}` });
parentPort.on('message', (message) => {
  if (message.kind === 'close') {
    parentPort.postMessage({ kind: 'closed' });
    parentPort.close();
    return;
  }
  const text = Buffer.from(message.image).toString();
  if (text === 'crash') process.exit(3);
  if (text === 'hang') return;
  parentPort.postMessage({ kind: 'result', id: message.id, extraction: { ok: false, reason: 'no_face', detail: `${text.length} bytes` } });
});
