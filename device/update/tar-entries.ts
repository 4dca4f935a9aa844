// Reading a (gzipped) tar archive one entry at a time, with every byte bounded and every write
// awaited. The updater reads untrusted archives with this instead of `tar.x`, so it can decide about
// each entry from its header before reading its body, stop at the first problem, and never remove a
// folder while a write into it is still under way (that race used to replace the real error with
// ENOTEMPTY and leave a half-written folder behind).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { ReleaseRejectedError } from './errors.js';

/** What to do after an entry: read on, or stop (the rest of the archive is never read). */
export type EntryVerdict = 'more' | 'done';
/** Handles one entry; `signal` aborts when reading stops for another reason. Throwing stops too. */
export type EntryHandler = (entry: tar.ReadEntry, signal: AbortSignal) => Promise<EntryVerdict>;

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** An archive tar or gzip cannot read (or cannot open) is refused as such. */
function unreadable(error: unknown): ReleaseRejectedError {
  return new ReleaseRejectedError(`not a readable release archive: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Feeds the archive's entries to `handle` strictly one after another: the next entry is handed over
 * only when the previous handler has settled. Resolves when a handler says 'done' or the archive ends;
 * rejects with the first error, but only once the running handler has finished (closed its files).
 * A handler's own error is passed on as it is (a refusal, or ENOSPC while writing: the real cause).
 */
export function readEntries(archivePath: string, handle: EntryHandler): Promise<void> {
  return new Promise((resolve, reject) => {
    const source = createReadStream(archivePath);
    // Gunzip here, not in tar's parser: a zlib stream inflates only as fast as the entries are read
    // (tar's inflates each chunk whole, ~64 MiB from one 64 KiB read of a bomb, before any entry
    // is looked at), and stops when it is destroyed.
    const gunzip = createGunzip();
    const parser = new tar.Parser({ strict: true });
    const stop = new AbortController();
    let active: Promise<void> = Promise.resolve();
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      if (error !== undefined) stop.abort(error);
      gunzip.unpipe(parser);
      source.destroy();
      gunzip.destroy();
      void active.then(() => (error === undefined ? resolve() : reject(error)));
    };
    parser.on('entry', (entry: tar.ReadEntry) => {
      active = active.then(async () => {
        if (settled) {
          entry.resume();
          return;
        }
        try {
          if ((await handle(entry, stop.signal)) === 'done') settle();
        } catch (error) {
          settle(asError(error));
        }
      });
    });
    parser.on('error', (error: unknown) => settle(unreadable(error)));
    parser.on('end', () => void active.then(() => settle()));
    source.on('error', (error: unknown) => settle(unreadable(error)));
    gunzip.on('error', (error: unknown) => settle(unreadable(error)));
    source.pipe(gunzip).pipe(parser);
  });
}

/** Reads an entry's body into memory; refuses more than `limit` bytes. */
export function collectEntry(entry: tar.ReadEntry, limit: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(asError(signal.reason));
    signal.addEventListener('abort', () => reject(asError(signal.reason)), { once: true });
    entry.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) reject(new ReleaseRejectedError(`${entry.path} is larger than ${limit} bytes`));
      else chunks.push(chunk);
    });
    entry.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

export interface WrittenEntry {
  sha256: string;
  bytes: number;
}

/**
 * Streams an entry's body into a new file (0600), hashing it on the way, and stops as soon as it
 * exceeds `limit` bytes. The file is closed before this settles, whatever happened.
 */
export async function entryToFile(entry: tar.ReadEntry, path: string, limit: number, signal: AbortSignal): Promise<WrittenEntry> {
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown): void => {
        failed = true;
        reject(asError(error));
      };
      if (signal.aborted) return fail(signal.reason);
      signal.addEventListener('abort', () => fail(signal.reason), { once: true });
      file.on('error', fail);
      entry.on('data', (chunk: Buffer) => {
        if (failed) return;
        bytes += chunk.length;
        if (bytes > limit) return fail(new ReleaseRejectedError(`${entry.path} is larger than the ${limit} bytes signed for it`));
        hash.update(chunk);
        if (!file.write(chunk)) {
          entry.pause();
          file.once('drain', () => entry.resume());
        }
      });
      entry.on('end', () => {
        // A failed final flush (ENOSPC) must not pass for a complete file.
        if (!failed) file.end((error?: Error | null) => (error ? fail(error) : resolve()));
      });
    });
  } finally {
    await closeStream(file);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Resolves once the file descriptor is closed: no write can land after this. */
async function closeStream(file: WriteStream): Promise<void> {
  if (file.closed) return;
  const closed = new Promise<void>((resolve) => file.once('close', () => resolve()));
  file.destroy();
  await closed;
}
