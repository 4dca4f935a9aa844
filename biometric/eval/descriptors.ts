// Descriptor extraction for evaluation: each image is read and described once per run, the result
// (descriptor or rejection) kept in memory only. Nothing derived from the photos touches the disk.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureRejection, FaceEngine } from '../types.js';

export type DescribedImage =
  | { ok: true; descriptor: Float32Array; extractMs: number }
  | { ok: false; reason: CaptureRejection | 'unreadable'; detail: string };

export class DescriptorCache {
  private readonly described = new Map<string, DescribedImage>();
  private readonly extractTimes: number[] = [];

  constructor(
    private readonly engine: FaceEngine,
    private readonly imagesDir: string,
    private readonly onExtracted: () => void = () => undefined,
  ) {}

  /** `relativePath` inside the images folder. */
  async get(relativePath: string): Promise<DescribedImage> {
    const known = this.described.get(relativePath);
    if (known !== undefined) return known;
    const result = await this.describe(relativePath);
    this.described.set(relativePath, result);
    this.onExtracted();
    return result;
  }

  private async describe(relativePath: string): Promise<DescribedImage> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.imagesDir, relativePath));
    } catch (error: unknown) {
      return { ok: false, reason: 'unreadable', detail: `${relativePath}: ${String(error)}` };
    }
    const started = performance.now();
    const extraction = await this.engine.extract(bytes);
    const extractMs = performance.now() - started;
    if (!extraction.ok) return { ok: false, reason: extraction.reason, detail: `${relativePath}: ${extraction.detail}` };
    this.extractTimes.push(extractMs);
    return { ok: true, descriptor: extraction.descriptor, extractMs };
  }

  size(): number {
    return this.described.size;
  }

  /** Counts of failures by reason over everything described so far. */
  failures(): Record<string, number> {
    const byReason: Record<string, number> = {};
    for (const d of this.described.values()) {
      if (!d.ok) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;
    }
    return byReason;
  }

  timings(): number[] {
    return [...this.extractTimes];
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i += 1) dot += a[i] * b[i];
  return dot;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}
