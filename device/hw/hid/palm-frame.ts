// Palm-vein reader frames over HID (format documented in docs/hardware.md):
//
//   frame  = "PV" | version u8 (=1) | flags u8 (=0) | dimension u16 LE | quality u8 (0..100)
//            | reserved u8 (=0) | dimension x float32 LE | CRC-16/CCITT-FALSE u16 LE
//   report = 64 bytes: chunk index u8 (0 starts a frame, then +1 mod 256) | 63 bytes of frame,
//            the last report zero-padded.
//
// The CRC covers everything from "P" to the last vector byte. Pure and clock-free like the
// keyboard decoder; the reader drops a frame whose reports stop arriving.

export const PALM_REPORT_LENGTH = 64;
export const PALM_CHUNK_PAYLOAD = PALM_REPORT_LENGTH - 1;
export const PALM_HEADER_LENGTH = 8;
export const PALM_MAX_DIMENSION = 2048;
const MAGIC_P = 0x50;
const MAGIC_V = 0x56;
const VERSION = 1;

export type PalmOutput = { type: 'vector'; vector: Float32Array; quality: number } | { type: 'warning'; message: string };

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor ("123456789" -> 0x29B1). */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Builds a frame and its reports: used by tests, fixtures and the bench, and as the spec in code. */
export function encodePalmReports(vector: Float32Array, quality: number): Buffer[] {
  const frame = Buffer.alloc(PALM_HEADER_LENGTH + vector.length * 4 + 2);
  frame[0] = MAGIC_P;
  frame[1] = MAGIC_V;
  frame[2] = VERSION;
  frame[3] = 0;
  frame.writeUInt16LE(vector.length, 4);
  frame[6] = quality;
  frame[7] = 0;
  vector.forEach((value, i) => frame.writeFloatLE(value, PALM_HEADER_LENGTH + i * 4));
  const crcAt = frame.length - 2;
  frame.writeUInt16LE(crc16(frame.subarray(0, crcAt)), crcAt);
  const reports: Buffer[] = [];
  for (let offset = 0, index = 0; offset < frame.length; offset += PALM_CHUNK_PAYLOAD, index += 1) {
    const report = Buffer.alloc(PALM_REPORT_LENGTH);
    report[0] = index & 0xff;
    frame.copy(report, 1, offset, Math.min(frame.length, offset + PALM_CHUNK_PAYLOAD));
    reports.push(report);
  }
  return reports;
}

export class PalmFrameDecoder {
  #frame: Buffer | null = null;
  #filled = 0;
  #nextIndex = 0;

  constructor(private readonly expectedDimension?: number) {}

  hasPartial(): boolean {
    return this.#frame !== null;
  }

  reset(): void {
    this.#frame = null;
    this.#filled = 0;
  }

  push(report: Uint8Array): PalmOutput[] {
    if (report.length !== PALM_REPORT_LENGTH) {
      this.reset();
      return [{ type: 'warning', message: `palm report of ${report.length} bytes, expected ${PALM_REPORT_LENGTH}` }];
    }
    const index = report[0];
    const chunk = report.subarray(1);
    if (index === 0) return this.#start(chunk);
    if (!this.#frame) return [{ type: 'warning', message: `palm chunk ${index} without a frame start` }];
    if (index !== this.#nextIndex) {
      this.reset();
      return [{ type: 'warning', message: `palm chunk ${index} out of order (expected ${this.#nextIndex}): frame dropped` }];
    }
    return this.#append(chunk);
  }

  #start(chunk: Uint8Array): PalmOutput[] {
    const out: PalmOutput[] = [];
    if (this.#frame) out.push({ type: 'warning', message: 'palm frame restarted before it was complete' });
    this.reset();
    if (chunk[0] !== MAGIC_P || chunk[1] !== MAGIC_V) return [...out, { type: 'warning', message: 'palm frame without "PV" magic' }];
    if (chunk[2] !== VERSION) return [...out, { type: 'warning', message: `palm frame version ${chunk[2]} not supported` }];
    const dimension = chunk[4] | (chunk[5] << 8);
    if (dimension === 0 || dimension > PALM_MAX_DIMENSION) return [...out, { type: 'warning', message: `palm vector dimension ${dimension} out of range` }];
    if (this.expectedDimension !== undefined && dimension !== this.expectedDimension) {
      return [...out, { type: 'warning', message: `palm vector dimension ${dimension}, configured ${this.expectedDimension}` }];
    }
    this.#frame = Buffer.alloc(PALM_HEADER_LENGTH + dimension * 4 + 2);
    this.#nextIndex = 0;
    return [...out, ...this.#append(chunk)];
  }

  #append(chunk: Uint8Array): PalmOutput[] {
    const frame = this.#frame!;
    const take = Math.min(chunk.length, frame.length - this.#filled);
    frame.set(chunk.subarray(0, take), this.#filled);
    this.#filled += take;
    this.#nextIndex = (this.#nextIndex + 1) & 0xff;
    if (this.#filled < frame.length) return [];
    this.reset();
    return [decodeFrame(frame)];
  }
}

function decodeFrame(frame: Buffer): PalmOutput {
  const crcAt = frame.length - 2;
  const expected = frame.readUInt16LE(crcAt);
  const actual = crc16(frame.subarray(0, crcAt));
  if (expected !== actual) return { type: 'warning', message: `palm frame CRC 0x${actual.toString(16)} != 0x${expected.toString(16)}` };
  const quality = frame[6];
  if (quality > 100) return { type: 'warning', message: `palm quality ${quality} out of 0..100` };
  const dimension = frame.readUInt16LE(4);
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i += 1) vector[i] = frame.readFloatLE(PALM_HEADER_LENGTH + i * 4);
  if (!vector.every(Number.isFinite)) return { type: 'warning', message: 'palm vector has non-finite values' };
  return { type: 'vector', vector, quality: quality / 100 };
}
