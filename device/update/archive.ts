// Release archives: an outer tar.gz holding manifest.json, its detached Ed25519 signature
// (manifest.sig) and payload.tar.gz (the built app), in that order. Nothing from an archive is trusted
// or written before the signature has been verified (release-reader.ts), and nothing is unpacked
// before the payload checksum and every payload entry have been checked (payload.ts).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import * as tar from 'tar';
import { fsyncDirectory } from '../util/safe-write.js';
import { fsyncPath } from '../../lib/index.js';
import { MANIFEST_FILE, PAYLOAD_FILE, SIGNATURE_FILE, parseManifest, type ReleaseManifest, type ReleaseProgram } from './manifest.js';
import { checkPayload } from './payload.js';
import { signBytes } from './signing.js';

export { ReleaseRejectedError } from './errors.js';

export interface PackReleaseOptions {
  /** Folder the payload paths are relative to. */
  sourceDir: string;
  /** Paths (relative to sourceDir) that make up the app. */
  files: string[];
  version: string;
  schemaVersion: number;
  minReadableSchema: number;
  privateKey: KeyObject;
  outFile: string;
  arch?: string;
  /** Which program the archive holds (default the kiosk). */
  name?: ReleaseProgram;
}

export async function packRelease(options: PackReleaseOptions): Promise<ReleaseManifest> {
  const work = await mkdtemp(join(options.outFile, '..', '.esik-release-'));
  try {
    const payloadPath = join(work, PAYLOAD_FILE);
    await tar.c({ gzip: true, cwd: options.sourceDir, file: payloadPath, portable: true }, options.files);
    const { sha256, bytes } = await hashFile(payloadPath);
    // Also refuses to sign a payload a kiosk would refuse to unpack.
    const unpackedBytes = await checkPayload(payloadPath, Number.POSITIVE_INFINITY);
    const manifest: ReleaseManifest = {
      format: 1,
      name: options.name ?? 'esik',
      version: options.version,
      schemaVersion: options.schemaVersion,
      minReadableSchema: options.minReadableSchema,
      payload: { file: PAYLOAD_FILE, sha256, bytes, unpackedBytes },
      createdAt: new Date().toISOString(),
      arch: options.arch ?? process.arch,
      node: process.versions.node,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    parseManifest(manifestBytes); // refuse to sign what a kiosk would refuse to read
    await writeFile(join(work, MANIFEST_FILE), manifestBytes);
    await writeFile(join(work, SIGNATURE_FILE), signBytes(manifestBytes, options.privateKey));
    // The order matters: kiosks verify manifest.json against manifest.sig before reading the payload.
    // Streamed, not through safeWriteFile's in-memory buffer (a payload with node_modules is large),
    // but with the same guarantee: temp file beside the target, fsync, rename, fsync the folder.
    const outer = join(dirname(options.outFile), `.${basename(options.outFile)}.${process.pid}.tmp`);
    try {
      await tar.c({ gzip: true, cwd: work, file: outer, portable: true }, [MANIFEST_FILE, SIGNATURE_FILE, PAYLOAD_FILE]);
      await fsyncPath(outer);
      await rename(outer, options.outFile);
    } finally {
      await rm(outer, { force: true });
    }
    await fsyncDirectory(dirname(options.outFile));
    return manifest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    hash.update(buffer);
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
