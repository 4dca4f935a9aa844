// Release archives: an outer tar.gz holding manifest.json, its detached Ed25519 signature
// (manifest.sig) and payload.tar.gz (the built app). Nothing from an archive is trusted or unpacked
// into a release folder before the signature and the payload checksum have both been verified.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import * as tar from 'tar';
import { fsyncDirectory } from '../util/safe-write.js';
import { MANIFEST_FILE, PAYLOAD_FILE, SIGNATURE_FILE, parseManifest, type ReleaseManifest } from './manifest.js';
import { signBytes, verifyBytes } from './signing.js';

export class ReleaseRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseRejectedError';
  }
}

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
}

export async function packRelease(options: PackReleaseOptions): Promise<ReleaseManifest> {
  const work = await mkdtemp(join(options.outFile, '..', '.esik-release-'));
  try {
    const payloadPath = join(work, PAYLOAD_FILE);
    await tar.c({ gzip: true, cwd: options.sourceDir, file: payloadPath, portable: true }, options.files);
    const { sha256, bytes } = await hashFile(payloadPath);
    const manifest: ReleaseManifest = {
      format: 1,
      name: 'esik',
      version: options.version,
      schemaVersion: options.schemaVersion,
      minReadableSchema: options.minReadableSchema,
      payload: { file: PAYLOAD_FILE, sha256, bytes },
      createdAt: new Date().toISOString(),
      arch: options.arch ?? process.arch,
      node: process.versions.node,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    parseManifest(manifestBytes); // refuse to sign what a kiosk would refuse to read
    await writeFile(join(work, MANIFEST_FILE), manifestBytes);
    await writeFile(join(work, SIGNATURE_FILE), signBytes(manifestBytes, options.privateKey));
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

export interface VerifiedRelease {
  manifest: ReleaseManifest;
  manifestBytes: Buffer;
  signature: Buffer;
  /** The verified payload inside the staging folder. */
  payloadPath: string;
}

const OUTER_ENTRIES = new Set([MANIFEST_FILE, SIGNATURE_FILE, PAYLOAD_FILE]);

/**
 * Unpacks the outer archive into `stagingDir` (only the three expected plain files; anything else is
 * ignored), then checks the signature over manifest.json and the payload's size and SHA-256.
 */
export async function openRelease(archivePath: string, publicKey: KeyObject, stagingDir: string): Promise<VerifiedRelease> {
  try {
    await tar.x({
      file: archivePath,
      cwd: stagingDir,
      strict: true,
      filter: (path, entry) => OUTER_ENTRIES.has(path) && 'type' in entry && entry.type === 'File',
    });
  } catch (error) {
    throw new ReleaseRejectedError(`not a readable release archive: ${error instanceof Error ? error.message : String(error)}`);
  }
  const present = new Set(await readdir(stagingDir));
  for (const name of OUTER_ENTRIES) {
    if (!present.has(name)) throw new ReleaseRejectedError(`release archive has no ${name}`);
  }
  const manifestBytes = await readFile(join(stagingDir, MANIFEST_FILE));
  const signature = await readFile(join(stagingDir, SIGNATURE_FILE));
  if (!verifyBytes(manifestBytes, signature, publicKey)) {
    throw new ReleaseRejectedError('signature does not verify against the release public key');
  }
  let manifest: ReleaseManifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (error) {
    throw new ReleaseRejectedError(error instanceof Error ? error.message : String(error));
  }
  const payloadPath = join(stagingDir, PAYLOAD_FILE);
  const { sha256, bytes } = await hashFile(payloadPath);
  if (bytes !== manifest.payload.bytes || sha256 !== manifest.payload.sha256) {
    throw new ReleaseRejectedError(`payload checksum mismatch (sha256 ${sha256}, manifest says ${manifest.payload.sha256})`);
  }
  return { manifest, manifestBytes, signature, payloadPath };
}

/** Unpacks a verified payload and fsyncs every file, so a power cut after the switch finds it whole. */
export async function extractPayload(payloadPath: string, destDir: string): Promise<void> {
  await tar.x({ file: payloadPath, cwd: destDir, strict: true });
  await fsyncTree(destDir);
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

async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(path);
    else if (entry.isFile()) await fsyncPath(path);
  }
  await fsyncPath(dir);
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
