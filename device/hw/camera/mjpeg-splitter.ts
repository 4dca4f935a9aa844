// Splits an MJPEG byte stream (rpicam-vid / ffmpeg writing concatenated JPEGs to a pipe) into
// frames. It walks the JPEG marker segments rather than searching for the first FF D9, so an EXIF
// thumbnail (a JPEG inside APP1) does not end a frame early; in the entropy-coded data FF is
// always followed by 00 or a restart marker, so the next real marker there is found by scanning.
// A frame cut short (camera restarted mid-frame) is dropped when the next SOI appears; garbage
// between frames is skipped; a frame that grows past `maxFrameBytes` is dropped, so the buffer
// stays bounded whatever comes down the pipe.

export interface MjpegSplitterOptions {
  /** Largest frame accepted; also the most the splitter ever buffers (default 8 MB). */
  maxFrameBytes?: number;
  onFrame: (jpeg: Buffer) => void;
  /** Called with the number of bytes thrown away and why (garbage, truncated frame, oversize). */
  onDiscard?: (bytes: number, why: string) => void;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

type Parse = { kind: 'frame'; end: number } | { kind: 'incomplete' } | { kind: 'corrupt'; resumeAt: number };

function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/** Index of the next SOI marker (FF D8 FF) at or after `from`, or -1. */
function findSoi(buf: Buffer, from: number): number {
  let i = buf.indexOf(0xff, from);
  while (i >= 0 && i + 2 < buf.length) {
    if (buf[i + 1] === SOI && buf[i + 2] === 0xff) return i;
    i = buf.indexOf(0xff, i + 1);
  }
  return -1;
}

/** Scans entropy-coded data from `pos` to the next marker that is not a stuffed byte or restart. */
function skipEntropyData(buf: Buffer, pos: number): number {
  let i = buf.indexOf(0xff, pos);
  while (i >= 0 && i + 1 < buf.length) {
    const next = buf[i + 1];
    if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) return i;
    i = buf.indexOf(0xff, i + 1);
  }
  return -1;
}

/** Parses one JPEG starting with SOI at 0. */
function parseFrame(buf: Buffer): Parse {
  let pos = 2;
  for (;;) {
    if (pos + 1 >= buf.length) return { kind: 'incomplete' };
    if (buf[pos] !== 0xff) return { kind: 'corrupt', resumeAt: 2 };
    const marker = buf[pos + 1];
    if (marker === 0xff) { pos += 1; continue; } // fill byte
    if (marker === EOI) return { kind: 'frame', end: pos + 2 };
    if (marker === SOI) return { kind: 'corrupt', resumeAt: pos };
    if (isStandalone(marker)) { pos += 2; continue; }
    if (pos + 3 >= buf.length) return { kind: 'incomplete' };
    const length = buf.readUInt16BE(pos + 2);
    if (length < 2) return { kind: 'corrupt', resumeAt: 2 };
    pos += 2 + length;
    if (marker === SOS) {
      const next = skipEntropyData(buf, pos);
      if (next < 0) return { kind: 'incomplete' };
      pos = next;
    }
  }
}

export class MjpegSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;
  private framesOut = 0;

  constructor(private readonly options: MjpegSplitterOptions) {
    this.maxFrameBytes = options.maxFrameBytes ?? 8 * 1024 * 1024;
  }

  frames(): number {
    return this.framesOut;
  }

  bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.drain();
  }

  /** Drops whatever is buffered (the producer restarted: a half frame must not join the next). */
  reset(): void {
    if (this.pending.length > 0) this.discard(this.pending.length, 'stream restarted mid-frame');
    this.pending = Buffer.alloc(0);
  }

  private drain(): void {
    for (;;) {
      const start = findSoi(this.pending, 0);
      if (start < 0) {
        // Keep a possible partial marker (last 2 bytes); everything before it is garbage.
        const keep = Math.min(2, this.pending.length);
        if (this.pending.length > keep) this.discard(this.pending.length - keep, 'bytes outside any JPEG frame');
        this.pending = Buffer.from(this.pending.subarray(this.pending.length - keep));
        return;
      }
      if (start > 0) {
        this.discard(start, 'bytes outside any JPEG frame');
        this.pending = this.pending.subarray(start);
      }
      const parsed = parseFrame(this.pending);
      if (parsed.kind === 'incomplete') {
        if (this.pending.length > this.maxFrameBytes) {
          this.discard(this.pending.length, `frame larger than ${this.maxFrameBytes} bytes`);
          this.pending = this.pending.subarray(2);
          continue;
        }
        // Own the bytes so the producer's chunks can be freed.
        this.pending = Buffer.from(this.pending);
        return;
      }
      if (parsed.kind === 'corrupt') {
        this.discard(parsed.resumeAt, 'truncated or corrupt frame');
        this.pending = this.pending.subarray(parsed.resumeAt);
        continue;
      }
      const frame = Buffer.from(this.pending.subarray(0, parsed.end));
      this.pending = this.pending.subarray(parsed.end);
      if (frame.length <= this.maxFrameBytes) {
        this.framesOut += 1;
        this.options.onFrame(frame);
      } else this.discard(frame.length, `frame larger than ${this.maxFrameBytes} bytes`);
    }
  }

  private discard(bytes: number, why: string): void {
    this.options.onDiscard?.(bytes, why);
  }
}
