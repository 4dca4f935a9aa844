// The image signatures the privacy scans look for must find real images, as the kiosk's inputs
// and sharp's outputs are written, and must not turn up in random bytes the size of a busy WAL
// (the bare three-byte JPEG start-of-image did, and failed a CI run on a clean state folder).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_SIGNATURES, scanFiles } from '../helpers/file-scan.js';
import { repoRoot } from '../device/daemon.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(repoRoot, '../shared/data');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esik-signatures-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The file embedded at an odd offset between random bytes, as a page of a database would hold it. */
async function scanEmbedded(name: string, image: Buffer): Promise<string[]> {
  const file = join(dir, name);
  await writeFile(file, Buffer.concat([randomBytes(4093), image, randomBytes(1000)]));
  const found = await scanFiles([dir], IMAGE_SIGNATURES);
  await rm(file);
  return found;
}

describe('image signatures', () => {
  const canvas = (): ReturnType<typeof sharp> => sharp({ create: { width: 16, height: 16, channels: 3, background: '#7a5' } });

  it('find the JPEGs sharp writes (libjpeg and mozjpeg, with and without chroma subsampling) and its PNGs', async () => {
    for (const options of [{}, { mozjpeg: true }, { chromaSubsampling: '4:4:4' }]) {
      expect(await scanEmbedded('sharp.jpg', await canvas().jpeg(options).toBuffer())).toHaveLength(1);
    }
    expect(await scanEmbedded('sharp-exif.jpg', await canvas().jpeg().withMetadata().toBuffer())).not.toEqual([]);
    expect(await scanEmbedded('sharp.png', await canvas().png().toBuffer())).toHaveLength(1);
  });

  it('find the camera-style JPEGs and PNGs of the evaluation photos', async () => {
    expect(await scanEmbedded('lfw.jpg', await readFile(join(dataDir, 'lfw', 'images', 'Eric_Daze', 'Eric_Daze_0001.jpg')))).not.toEqual([]);
    expect(await scanEmbedded('bbt.png', await readFile(join(dataDir, 'faces-bbt', 'examples', 'amy', 'amy1.png')))).toHaveLength(1);
  });

  it('do not turn up in 64 MB of random bytes', async () => {
    await writeFile(join(dir, 'random.bin'), randomBytes(64 * 1024 * 1024));
    expect(await scanFiles([dir], IMAGE_SIGNATURES)).toEqual([]);
    await rm(join(dir, 'random.bin'));
  });
});
