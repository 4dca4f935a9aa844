// The worker-thread side of PinVerifierThread (pin-verifier.ts): one synchronous scrypt at a time,
// on this thread alone. scrypt's async form would run on libuv's shared pool, where sqlite3 does
// the door's writes; the sync form keeps the whole cost here.
import { parentPort } from 'node:worker_threads';
import { verifyPinSync } from './technician-pin.js';

/** Main thread -> worker. */
export interface PinVerifyRequest {
  id: number;
  pin: string;
  hash: string;
}

/** Worker -> main thread. */
export type PinVerifyReply = { id: number; ok: true; right: boolean } | { id: number; ok: false; message: string };

const port = parentPort;
if (port === null) throw new Error('pin-verify-thread must run in a worker thread');
port.on('message', (request: PinVerifyRequest) => {
  let reply: PinVerifyReply;
  try {
    reply = { id: request.id, ok: true, right: verifyPinSync(request.pin, request.hash) };
  } catch (error) {
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
port.postMessage('ready');
