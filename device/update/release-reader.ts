// Opening a release archive: verify first, write second. The archive is read as a stream, in the
// order packRelease writes it: manifest.json and manifest.sig (held in memory, a few KiB at most),
// then the signature is checked, and only then is payload.tar.gz read, into one file of exactly the
// signed size, hashed on the way. An unsigned archive, whatever it holds, writes nothing to disk; a
// signed one writes at most the bytes its signer declared.
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type * as tar from 'tar';
import { ReleaseRejectedError } from './errors.js';
import { MANIFEST_FILE, PAYLOAD_FILE, SIGNATURE_FILE, parseManifest, type ReleaseManifest, type ReleaseProgram } from './manifest.js';
import { verifyBytes } from './signing.js';
import { collectEntry, entryToFile, readEntries } from './tar-entries.js';

export interface VerifiedRelease {
  manifest: ReleaseManifest;
  manifestBytes: Buffer;
  signature: Buffer;
  /** The verified payload inside the staging folder. */
  payloadPath: string;
}

/** A manifest is a few hundred bytes; anything near this is not one. */
const MAX_MANIFEST_BYTES = 64 * 1024;
/** An Ed25519 signature. */
const SIGNATURE_BYTES = 64;
const ENTRY_ORDER = [MANIFEST_FILE, SIGNATURE_FILE, PAYLOAD_FILE] as const;

function verifiedManifest(manifestBytes: Buffer, signature: Buffer, publicKey: KeyObject): ReleaseManifest {
  if (!verifyBytes(manifestBytes, signature, publicKey)) {
    throw new ReleaseRejectedError('signature does not verify against the release public key');
  }
  try {
    return parseManifest(manifestBytes);
  } catch (error) {
    throw new ReleaseRejectedError(error instanceof Error ? error.message : String(error));
  }
}

/** Checks an outer entry's header (name, position, type, declared size) before its body is read. */
function checkHeader(entry: tar.ReadEntry, index: number, maxSize = Number.POSITIVE_INFINITY): void {
  const expected = ENTRY_ORDER[index];
  if (expected === undefined || entry.path !== expected || entry.type !== 'File') {
    throw new ReleaseRejectedError(
      `unexpected entry "${entry.path}" (${entry.type}) in the release archive; it must hold ${ENTRY_ORDER.join(', ')} in that order`,
    );
  }
  if (entry.size > maxSize) throw new ReleaseRejectedError(`${entry.path} is ${entry.size} bytes, more than the ${maxSize} allowed`);
}

/**
 * Reads `archivePath`, verifies the signature over manifest.json, then streams payload.tar.gz into
 * `stagingDir` bounded by the signed size and checks its SHA-256. Throws ReleaseRejectedError for
 * anything that is not a release signed with `publicKey`; nothing is left in `stagingDir` but the
 * payload file (when that fails, the caller removes the folder: every write has ended by then).
 */
export async function openRelease(
  archivePath: string,
  publicKey: KeyObject,
  stagingDir: string,
  /** Decides from the verified manifest whether to go on (throws to refuse), before the payload is read. */
  accept: (manifest: ReleaseManifest) => Promise<void> = () => Promise.resolve(),
  /** The program the caller installs: an archive of another program is refused before its payload. */
  program: ReleaseProgram = 'esik',
): Promise<VerifiedRelease> {
  const payloadPath = join(stagingDir, PAYLOAD_FILE);
  let manifestBytes: Buffer | undefined;
  let signature: Buffer | undefined;
  let manifest: ReleaseManifest | undefined;
  let payloadDone = false;
  let index = 0;
  await readEntries(archivePath, async (entry, signal) => {
    const position = index++;
    if (position === 0) {
      checkHeader(entry, position, MAX_MANIFEST_BYTES);
      manifestBytes = await collectEntry(entry, MAX_MANIFEST_BYTES, signal);
      return 'more';
    }
    if (position === 1) {
      checkHeader(entry, position, SIGNATURE_BYTES);
      signature = await collectEntry(entry, SIGNATURE_BYTES, signal);
      manifest = verifiedManifest(manifestBytes ?? Buffer.alloc(0), signature, publicKey);
      if (manifest.name !== program) throw new ReleaseRejectedError(`this is a release of ${manifest.name}, not of ${program}`);
      await accept(manifest);
      return 'more';
    }
    if (manifest === undefined) throw new ReleaseRejectedError('release archive: payload before a verified manifest');
    checkHeader(entry, position);
    if (entry.size !== manifest.payload.bytes) {
      // Refused from the header alone: not one byte of a payload of the wrong size is written.
      throw new ReleaseRejectedError(`payload checksum mismatch (${entry.size} bytes, the signed manifest says ${manifest.payload.bytes})`);
    }
    const written = await entryToFile(entry, payloadPath, manifest.payload.bytes, signal);
    if (written.bytes !== manifest.payload.bytes || written.sha256 !== manifest.payload.sha256) {
      throw new ReleaseRejectedError(`payload checksum mismatch (sha256 ${written.sha256}, manifest says ${manifest.payload.sha256})`);
    }
    payloadDone = true;
    return 'done';
  });
  if (manifestBytes === undefined) throw new ReleaseRejectedError(`release archive has no ${MANIFEST_FILE}`);
  if (signature === undefined || manifest === undefined) throw new ReleaseRejectedError(`release archive has no ${SIGNATURE_FILE}`);
  if (!payloadDone) throw new ReleaseRejectedError(`release archive has no ${PAYLOAD_FILE}`);
  return { manifest, manifestBytes, signature, payloadPath };
}
