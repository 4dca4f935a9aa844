// Raw-byte scans of what the kiosk leaves on disk: the privacy tests look for images, template
// bytes and names in clear in every file under a folder (DB, WAL, SHM, temp files).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Needle {
  what: string;
  bytes: Buffer;
}

export const IMAGE_SIGNATURES: readonly Needle[] = [
  { what: 'JPEG signature', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
  { what: 'PNG signature', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
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
