// Hostile release archives against the real updater in a temporary root. The archives are built here,
// byte by byte where tar would refuse to write them: gzip bombs (1 GiB of zeros in ~1 MB, as
// concatenated gzip members), signed payloads with `..`, absolute paths, links leading out, device
// files. Each must be refused with its real reason, write (almost) nothing while being read, and
// leave nothing behind in releases/.
import { createHash, type KeyObject } from 'node:crypto';
import { lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseRejectedError } from '../../device/update/archive.js';
import { ReleaseLayout } from '../../device/update/layout.js';
import { generateReleaseKeyPair, loadPrivateKey, loadPublicKey, signBytes } from '../../device/update/signing.js';
import { Updater } from '../../device/update/updater.js';
import { tempRoot } from './helpers/releases.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

type EntrySpec = { path: string; body?: Buffer; type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice'; linkpath?: string };

function header(spec: EntrySpec, size: number): Buffer {
  const block = Buffer.alloc(512);
  new tar.Header({
    path: spec.path,
    type: spec.type ?? 'File',
    size,
    mode: spec.type === 'Directory' ? 0o755 : 0o644,
    mtime: new Date(0),
    linkpath: spec.linkpath,
  }).encode(block, 0);
  return block;
}

/** One tar entry: header and body padded to whole 512-byte blocks. */
function entry(spec: EntrySpec): Buffer {
  const body = spec.body ?? Buffer.alloc(0);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header(spec, body.length), body, padding]);
}

const END_OF_ARCHIVE = Buffer.alloc(1024);

/** A gzip stream whose `zeroMiB` MiB of zeros follow `prefix`: concatenated members, ~1 KB per MiB. */
function zeroBomb(prefix: Buffer, zeroMiB: number): Buffer {
  const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat([gzipSync(prefix), ...new Array<Buffer>(zeroMiB).fill(member), gzipSync(END_OF_ARCHIVE)]);
}

function manifestFor(version: string, payload: { sha256: string; bytes: number; unpackedBytes?: number }): Buffer {
  const manifest = {
    format: 1,
    name: 'esik',
    version,
    schemaVersion: 1,
    minReadableSchema: 1,
    payload: { file: 'payload.tar.gz', ...payload },
    createdAt: new Date(0).toISOString(),
    arch: process.arch,
  };
  return Buffer.from(`${JSON.stringify(manifest)}\n`);
}

/** A correctly signed release around `payload` (any bytes), entries in the order kiosks expect. */
function signedRelease(version: string, payload: Buffer, key: KeyObject, unpackedBytes?: number): Buffer {
  const manifest = manifestFor(version, { sha256: createHash('sha256').update(payload).digest('hex'), bytes: payload.length, unpackedBytes });
  return gzipSync(
    Buffer.concat([
      entry({ path: 'manifest.json', body: manifest }),
      entry({ path: 'manifest.sig', body: signBytes(manifest, key) }),
      entry({ path: 'payload.tar.gz', body: payload }),
      END_OF_ARCHIVE,
    ]),
  );
}

/** Bytes in files under `dir` right now (folders that vanish mid-walk count as empty). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [])) {
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => null);
    if (stats?.isDirectory()) total += await bytesUnder(path);
    else if (stats) total += stats.size;
  }
  return total;
}

describe('esik update refuses hostile archives before writing them', () => {
  let root: string;
  let work: string;
  let layout: ReleaseLayout;
  let updater: Updater;
  const keys = generateReleaseKeyPair();
  const privateKey = loadPrivateKey(keys.privateKeyPem);
  const stranger = loadPrivateKey(generateReleaseKeyPair().privateKeyPem);

  beforeAll(async () => {
    root = await tempRoot('esik-update-hostile-');
    work = await tempRoot('esik-update-hostile-work-');
    layout = new ReleaseLayout(root);
    updater = new Updater({
      layout,
      logger: pino({ level: 'silent' }),
      publicKey: loadPublicKey(keys.publicKeyPem),
      restart: () => Promise.reject(new Error('a refused release must never be started')),
      health: { url: 'http://127.0.0.1:9/health', timeoutMs: 500, stableMs: 100, pollMs: 50 },
      databaseSchema: () => Promise.resolve(1),
    });
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  /** Installs `archive`, expecting a refusal; returns it and the most bytes seen under releases/ meanwhile. */
  async function refused(name: string, archive: Buffer): Promise<{ error: unknown; peakBytes: number }> {
    const file = join(work, name);
    await writeFile(file, archive);
    let peakBytes = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        peakBytes = Math.max(peakBytes, await bytesUnder(layout.paths.releasesDir));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const error = await updater.install(file).then(
      () => null,
      (e: unknown) => e,
    );
    watching = false;
    await watcher;
    expect(error).toBeInstanceOf(ReleaseRejectedError);
    expect(await readdir(layout.paths.releasesDir)).toEqual([]);
    return { error, peakBytes };
  }

  it('an unsigned gzip bomb (1 GiB of zeros in ~1 MB) is refused at the signature, having written nothing', async () => {
    const manifest = manifestFor('9.9.9', { sha256: '0'.repeat(64), bytes: GiB });
    const prefix = Buffer.concat([
      entry({ path: 'manifest.json', body: manifest }),
      entry({ path: 'manifest.sig', body: signBytes(manifest, stranger) }),
      header({ path: 'payload.tar.gz' }, GiB),
    ]);
    const bomb = zeroBomb(prefix, 1024);
    expect(bomb.length).toBeLessThan(2 * MiB);
    const { error, peakBytes } = await refused('bomb.tgz', bomb);
    expect(String(error)).toMatch(/signature does not verify/);
    expect(peakBytes).toBeLessThan(MiB);
  });

  it('a bomb without a manifest in front is refused at its first entry', async () => {
    const { error, peakBytes } = await refused('headless.tgz', zeroBomb(header({ path: 'payload.tar.gz' }, GiB), 1024));
    expect(String(error)).toMatch(/unexpected entry "payload\.tar\.gz"/);
    expect(peakBytes).toBeLessThan(MiB);
  });

  it('a correctly signed manifest with a payload larger than it signed is refused from the header', async () => {
    const manifest = manifestFor('9.9.8', { sha256: '0'.repeat(64), bytes: 4096 });
    const prefix = Buffer.concat([
      entry({ path: 'manifest.json', body: manifest }),
      entry({ path: 'manifest.sig', body: signBytes(manifest, privateKey) }),
      header({ path: 'payload.tar.gz' }, GiB),
    ]);
    const { error, peakBytes } = await refused('oversized.tgz', zeroBomb(prefix, 1024));
    expect(String(error)).toMatch(/payload checksum mismatch \(1073741824 bytes, the signed manifest says 4096\)/);
    expect(peakBytes).toBeLessThan(MiB);
  });

  const hostilePayloads: Array<[string, EntrySpec[], RegExp]> = [
    ['a `..` path', [{ path: 'app.mjs', body: Buffer.from('ok') }, { path: '../../escaped.txt', body: Buffer.from('pwned') }], /"\.\.\/\.\.\/escaped\.txt" points outside/],
    ['an absolute path', [{ path: '/tmp/esik-absolute-entry.txt', body: Buffer.from('pwned') }], /"\/tmp\/esik-absolute-entry\.txt" points outside/],
    ['a symbolic link leading out', [{ path: 'lib', type: 'Directory' }, { path: 'lib/etc', type: 'SymbolicLink', linkpath: '../../../../etc' }], /link "lib\/etc" -> "\.\.\/\.\.\/\.\.\/\.\.\/etc" points outside/],
    ['an absolute symbolic link', [{ path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /link "passwd" -> "\/etc\/passwd" points outside/],
    ['a hard link leading out', [{ path: 'shadow', type: 'Link', linkpath: '../../etc/shadow' }], /link "shadow" -> "\.\.\/\.\.\/etc\/shadow" points outside/],
    ['a file written through a link', [{ path: 'up', type: 'SymbolicLink', linkpath: '.' }, { path: 'up/app.mjs', body: Buffer.from('x') }], /"up\/app\.mjs" would be written through a symbolic link/],
    ['a device file', [{ path: 'null', type: 'CharacterDevice' }], /"null" is a CharacterDevice/],
  ];

  it.each(hostilePayloads)('a signed payload with %s is refused before anything is unpacked', async (_name, entries, reason) => {
    const payload = gzipSync(Buffer.concat([...entries.map(entry), END_OF_ARCHIVE]));
    const { error } = await refused('hostile.tgz', signedRelease('9.9.7', payload, privateKey));
    expect(String(error)).toMatch(/release payload refused/);
    expect(String(error)).toMatch(reason);
    expect(await readdir(root)).toEqual(['opt']);
    expect(await readdir(join(root, 'opt', 'esik'))).toEqual(['releases']);
  });

  it('a signed payload that unpacks to more than its manifest declares is refused before unpacking', async () => {
    const payload = gzipSync(Buffer.concat([entry({ path: 'big.bin', body: Buffer.alloc(MiB) }), END_OF_ARCHIVE]));
    const { error, peakBytes } = await refused('unpacks-big.tgz', signedRelease('9.9.6', payload, privateKey, 1000));
    expect(String(error)).toMatch(/unpacks to more than the 1000 bytes its manifest declares/);
    expect(peakBytes).toBeLessThan(MiB);
  });

  it('an archive with something between the manifest and the payload is refused', async () => {
    const manifest = manifestFor('9.9.5', { sha256: '0'.repeat(64), bytes: 10 });
    const archive = gzipSync(
      Buffer.concat([
        entry({ path: 'manifest.json', body: manifest }),
        entry({ path: 'evil.sh', body: Buffer.from('#!/bin/sh') }),
        END_OF_ARCHIVE,
      ]),
    );
    const { error } = await refused('extra.tgz', archive);
    expect(String(error)).toMatch(/unexpected entry "evil\.sh"/);
  });

  it('a payload that is fine installs files, folders and links that stay inside', async () => {
    await mkdir(layout.paths.releasesDir, { recursive: true });
    const payload = gzipSync(
      Buffer.concat([
        entry({ path: 'lib', type: 'Directory' }),
        entry({ path: 'lib/app.mjs', body: Buffer.from('x') }),
        entry({ path: 'app.mjs', type: 'SymbolicLink', linkpath: 'lib/app.mjs' }),
        END_OF_ARCHIVE,
      ]),
    );
    const file = join(work, 'fine.tgz');
    await writeFile(file, signedRelease('1.0.0', payload, privateKey, 1));
    // No health endpoint answers, so the release is not kept live; but it got as far as being started.
    const result = await updater.install(file);
    expect(result).toMatchObject({ outcome: 'failed', version: '1.0.0' });
    expect(result.reason).toMatch(/must never be started/);
    expect((await lstat(join(layout.releaseDir('1.0.0'), 'app.mjs'))).isSymbolicLink()).toBe(true);
  });
});
