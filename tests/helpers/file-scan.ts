// Raw-byte scans of what the kiosk leaves on disk: the privacy tests look for images, template
// bytes and names in clear in every file under a folder (DB, WAL, SHM, temp files).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Needle {
  what: string;
  bytes: Buffer;
}

// Each signature is long enough not to turn up by chance. The bare JPEG start-of-image (FF D8 FF)
// did: three bytes match about once in 16.7 million positions, and a WAL of a few megabytes of
// sealed templates and random ids holds one in a few runs (a CI run failed on exactly that). So a
// JPEG is its start-of-image followed by the first segment encoders write: a JFIF header (cameras,
// LFW), an Exif header, or a quantisation table of one or two tables (libjpeg and mozjpeg, as
// sharp writes them). PNG is its whole 8-byte signature followed by the IHDR chunk's length and type.
export const IMAGE_SIGNATURES: readonly Needle[] = [
  { what: 'JPEG signature (JFIF)', bytes: Buffer.from('ffd8ffe000104a46494600', 'hex') },
  { what: 'JPEG signature (Exif)', bytes: Buffer.from('457869660000', 'hex') },
  { what: 'JPEG signature (one quantisation table)', bytes: Buffer.from('ffd8ffdb004300', 'hex') },
  { what: 'JPEG signature (two quantisation tables)', bytes: Buffer.from('ffd8ffdb008400', 'hex') },
  { what: 'PNG signature', bytes: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') },
];

export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every needle found in any file under the folders, as "file: what". A file that vanished mid-scan counts as empty. */
export async function scanFiles(dirs: readonly string[], needles: readonly Needle[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      const content = await readFile(file).catch(() => Buffer.alloc(0));
      for (const needle of needles) if (content.includes(needle.bytes)) found.push(`${file}: ${needle.what}`);
    }
  }
  return found;
}
