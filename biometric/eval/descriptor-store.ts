// A descriptor cache that outlives one run, for iterating on the door's levers (thresholds, template
// combination, frame fusion) in seconds instead of re-describing thousands of photos. One file per
// extraction setting (model algo, detector, face choice): an image's entry is its descriptor and
// capture-quality figures, or why it gave none, stamped with the file's size and mtime so a changed
// photo is described again. The capture gate is NOT applied when describing: the quality figures are
// kept so the evaluation applies the kiosk's gate itself, and one cache serves gated and ungated runs.
//
// The file holds biometric descriptors of whoever is in the photos. For LFW (public figures) that is
// harmless; for a school's own consented data, run with no cache or delete it afterwards
// (docs/biometrics.md). It is written whole through the injected durable writer (temp, fsync,
// rename, fsync dir), never appended to in place.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureRejection, FaceExtraction } from '../types.js';

export interface CaptureQuality {
  detectorScore: number;
  faceSizePx: number;
  sharpness: number;
  yawRatio: number;
}

export type StoredDescription =
  | { ok: true; descriptor: Float32Array; quality: CaptureQuality }
  | { ok: false; reason: CaptureRejection | 'unreadable'; detail: string };

type Entry =
  | { stamp: string; ok: true; d: string; q: CaptureQuality }
  | { stamp: string; ok: false; reason: CaptureRejection | 'unreadable'; detail: string };

interface StoreFile {
  format: 'esik-eval-descriptors-v1';
  setting: string;
  entries: Record<string, Entry>;
}

export type DurableWrite = (path: string, data: string) => Promise<void>;

export interface DescriptorStoreOptions {
  /** Folder of the images; entries are keyed by the path relative to it. */
  imagesDir: string;
  /** Everything that changes a descriptor: algo, detector sizes, face choice. */
  setting: string;
  /** The cache file, or null for an in-memory-only run (nothing touches the disk). */
  file: string | null;
  write: DurableWrite;
  /** Extracts one image; the store never applies a gate itself. */
  extract: (bytes: Buffer) => Promise<FaceExtraction>;
  /** Save after this many new descriptions (and at `flush`). */
  saveEvery?: number;
  onDescribed?: () => void;
}

function encode(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

function decode(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

function fromEntry(entry: Entry): StoredDescription {
  return entry.ok ? { ok: true, descriptor: decode(entry.d), quality: entry.q } : { ok: false, reason: entry.reason, detail: entry.detail };
}

/** The entries of a cache file, or none if it is missing or of another setting. */
async function readStoreFile(file: string, setting: string): Promise<Record<string, Entry>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  const parsed = JSON.parse(text) as Partial<StoreFile>;
  if (parsed.format !== 'esik-eval-descriptors-v1' || parsed.setting !== setting || parsed.entries === undefined) return {};
  return parsed.entries;
}

export class DescriptorStore {
  private entries: Record<string, Entry> = {};
  private readonly decoded = new Map<string, StoredDescription>();
  private unsaved = 0;
  private described = 0;

  constructor(private readonly options: DescriptorStoreOptions) {}

  /** Reads the cache file if there is one for this setting; a file of another setting is ignored. */
  async load(): Promise<number> {
    if (this.options.file === null) return 0;
    this.entries = await readStoreFile(this.options.file, this.options.setting);
    return Object.keys(this.entries).length;
  }

  /**
   * Adds the entries of another cache file of the same setting (a second process that described
   * part of the images); they are written into this store's file at the next flush.
   */
  async merge(file: string): Promise<number> {
    const other = await readStoreFile(file, this.options.setting);
    for (const [path, entry] of Object.entries(other)) {
      if (this.entries[path] === undefined) {
        this.entries[path] = entry;
        this.unsaved += 1;
      }
    }
    return Object.keys(other).length;
  }

  /** Newly described images in this run (cache hits excluded). */
  describedThisRun(): number {
    return this.described;
  }

  async get(relativePath: string): Promise<StoredDescription> {
    const known = this.decoded.get(relativePath);
    if (known !== undefined) return known;
    const path = join(this.options.imagesDir, relativePath);
    let stamp: string;
    try {
      const info = await stat(path);
      stamp = `${info.size}:${Math.round(info.mtimeMs)}`;
    } catch (error: unknown) {
      return this.remember(relativePath, { stamp: 'missing', ok: false, reason: 'unreadable', detail: `${relativePath}: ${String(error)}` }, false);
    }
    const cached = this.entries[relativePath];
    if (cached !== undefined && cached.stamp === stamp) return this.remember(relativePath, cached, false);
    const extraction = await this.options.extract(await readFile(path));
    const entry: Entry = extraction.ok
      ? { stamp, ok: true, d: encode(extraction.descriptor), q: extraction.quality }
      : { stamp, ok: false, reason: extraction.reason, detail: `${relativePath}: ${extraction.detail}` };
    this.described += 1;
    this.options.onDescribed?.();
    const result = this.remember(relativePath, entry, true);
    if (this.unsaved >= (this.options.saveEvery ?? 250)) await this.flush();
    return result;
  }

  private remember(relativePath: string, entry: Entry, fresh: boolean): StoredDescription {
    if (fresh) {
      this.entries[relativePath] = entry;
      this.unsaved += 1;
    }
    const value = fromEntry(entry);
    this.decoded.set(relativePath, value);
    return value;
  }

  /** Writes the cache file if anything new was described since the last write. */
  async flush(): Promise<void> {
    if (this.options.file === null || this.unsaved === 0) return;
    const file: StoreFile = { format: 'esik-eval-descriptors-v1', setting: this.options.setting, entries: this.entries };
    await this.options.write(this.options.file, JSON.stringify(file));
    this.unsaved = 0;
  }
}
