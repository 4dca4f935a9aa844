// The memory the templates live in: one WebAssembly.Memory, so the SIMD kernel reads them where
// they are, carved into fixed-size chunks. Growing the memory does not move existing chunks for the
// kernel (addresses are offsets), and on 64-bit V8 a wasm memory grows in place inside its address
// reservation; only the JavaScript view is re-created. Freed chunks are reused, never returned:
// a wasm memory cannot shrink, so the high-water mark stays allocated.

const PAGE_BYTES = 65_536;

export class VectorArena {
  readonly memory: WebAssembly.Memory;
  private view: Float32Array;
  private used = 0;

  constructor(initialBytes = PAGE_BYTES) {
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(initialBytes / PAGE_BYTES)) });
    this.view = new Float32Array(this.memory.buffer);
  }

  /** A float view of the whole memory; re-read it after any allocate() (growth detaches the old one). */
  get heap(): Float32Array {
    return this.view;
  }

  /** Reserves `bytes` (rounded up to 64) and returns the byte offset, growing the memory if needed. */
  allocate(bytes: number): number {
    const offset = this.used;
    const end = offset + Math.ceil(bytes / 64) * 64;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow by at least a quarter of the current size: fewer grow calls while a gallery loads.
      const pages = Math.max(Math.ceil((end - have) / PAGE_BYTES), Math.ceil(have / PAGE_BYTES / 4));
      this.memory.grow(pages);
      this.view = new Float32Array(this.memory.buffer);
    }
    this.used = end;
    return offset;
  }

  byteLength(): number {
    return this.memory.buffer.byteLength;
  }
}
