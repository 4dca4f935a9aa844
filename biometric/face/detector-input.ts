// The pixels the face nets read, built in JavaScript from the decoded frame rather than by TF.js ops
// on a tensor of the whole frame.
//
// Why: on the wasm backend every tensor lives in the module's WebAssembly memory, which grows to its
// peak and never shrinks. face-api's own input step turns a 1024x576 frame into an int32 tensor, a
// float copy, and a 1024x1024 zero-padded float square (12.6 MB) before resizing it to the 320x320
// the detector reads; those transient blocks, interleaved with the nets' long-lived allocations,
// grew the heap frame after frame (measured 29 -> 156 MB over four frames). Likewise each face crop,
// of a different size every frame, left holes of a different size. Here the detector gets its
// 320x320 square directly (1.2 MB) and the landmark net its 112x112 one, the same shapes every
// frame. The arithmetic is face-api's (padToSquare, then tf.image.resizeBilinear without corner
// alignment), so boxes and landmarks match; see tests/biometric/lean-forward.test.ts.
import type { RgbFrame } from '../image/index.js';
import type { Box } from './detect.js';

/** A square float RGB image for a detector, and how to map its boxes back onto the frame. */
export interface DetectorInput {
  data: Float32Array;
  size: number;
  /** Frame pixels per detector pixel along x and y, as face-api corrects its boxes. */
  scaleX: number;
  scaleY: number;
}

/** A whole-pixel rectangle inside a frame. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The landmark net's input side (face-api's FaceLandmark68Net). */
export const LANDMARK_INPUT_SIZE = 112;

/**
 * `region` of the frame zero-padded to a square (at the end for detectors, centred for the landmark
 * net: face-api's padToSquare) and resized to `size` x `size` with tf.image.resizeBilinear's
 * arithmetic (alignCorners false, halfPixelCenters false), as float RGB.
 */
function resizedSquare(frame: RgbFrame, region: Region, size: number, centred: boolean): Float32Array {
  const side = Math.max(region.width, region.height);
  const diff = side - Math.min(region.width, region.height);
  const before = centred ? diff - Math.round(diff * 0.5) : 0;
  const [offsetX, offsetY] = region.width < region.height ? [before, 0] : [0, before];
  // Source positions per output column and row, precomputed: byte offsets of the two neighbours in
  // the frame (-1 where the square is padding) and the interpolation weight.
  const columns = samplePositions(size, side / size, side, (x) => (x >= offsetX && x - offsetX < region.width ? (region.x + x - offsetX) * 3 : -1));
  const rows = samplePositions(size, side / size, side, (y) => (y >= offsetY && y - offsetY < region.height ? (region.y + y - offsetY) * frame.width * 3 : -1));
  const source = frame.data;
  const at = (row: number, column: number, c: number): number => (row < 0 || column < 0 ? 0 : source[row + column + c]);
  const data = new Float32Array(size * size * 3);
  for (let r = 0; r < size; r += 1) {
    const top = rows.low[r];
    const bottom = rows.high[r];
    const rowFrac = rows.frac[r];
    for (let col = 0; col < size; col += 1) {
      const left = columns.low[col];
      const right = columns.high[col];
      const colFrac = columns.frac[col];
      const out = (r * size + col) * 3;
      for (let c = 0; c < 3; c += 1) {
        const topLeft = at(top, left, c);
        const bottomLeft = at(bottom, left, c);
        const upper = topLeft + (at(top, right, c) - topLeft) * colFrac;
        const lower = bottomLeft + (at(bottom, right, c) - bottomLeft) * colFrac;
        data[out + c] = upper + (lower - upper) * rowFrac;
      }
    }
  }
  return data;
}

/** For each of `size` outputs: the offsets of its two source neighbours (via `offsetOf`) and the weight. */
function samplePositions(size: number, ratio: number, side: number, offsetOf: (index: number) => number): { low: Int32Array; high: Int32Array; frac: Float64Array } {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const frac = new Float64Array(size);
  for (let i = 0; i < size; i += 1) {
    const position = i * ratio;
    const floor = Math.floor(position);
    low[i] = offsetOf(floor);
    high[i] = offsetOf(Math.min(side - 1, Math.ceil(position)));
    frac[i] = position - floor;
  }
  return { low, high, frac };
}

/** The whole frame as the tiny detector reads it at `size`, and how to map its boxes back. */
export function detectorInput(frame: RgbFrame, size: number): DetectorInput {
  const side = Math.max(frame.width, frame.height);
  const data = resizedSquare(frame, { x: 0, y: 0, width: frame.width, height: frame.height }, size, false);
  // face-api relates boxes to the frame's area inside the square, rounded to whole detector pixels
  // (computeReshapedDimensions), and scales them by the frame's size.
  const reshapedWidth = Math.round((frame.width * size) / side);
  const reshapedHeight = Math.round((frame.height * size) / side);
  return { data, size, scaleX: frame.width / reshapedWidth, scaleY: frame.height / reshapedHeight };
}

/**
 * A face's region as the landmark net reads it, and the map from the net's 112x112 pixels back to
 * frame pixels (face-api's postProcess: scale by the square's side, less half the padding).
 */
export function landmarkInput(frame: RgbFrame, region: Region): { data: Float32Array; toFrame: (p: { x: number; y: number }) => { x: number; y: number } } {
  const side = Math.max(region.width, region.height);
  const padX = region.width < region.height ? (region.height - region.width) / 2 : 0;
  const padY = region.height < region.width ? (region.width - region.height) / 2 : 0;
  const scale = side / LANDMARK_INPUT_SIZE;
  return {
    data: resizedSquare(frame, region, LANDMARK_INPUT_SIZE, true),
    toFrame: (p) => ({ x: region.x + p.x * scale - padX, y: region.y + p.y * scale - padY }),
  };
}

/** A box found in a detector input, in frame pixels. */
export function boxInFrame(box: Box, input: DetectorInput): Box {
  return { x: box.x * input.scaleX, y: box.y * input.scaleY, width: box.width * input.scaleX, height: box.height * input.scaleY };
}

/** `box` clipped to the frame, in whole pixels. */
export function clipToFrame(frame: RgbFrame, box: Box): Region {
  const x = Math.max(0, Math.floor(box.x));
  const y = Math.max(0, Math.floor(box.y));
  const width = Math.min(frame.width, Math.ceil(box.x + box.width)) - x;
  const height = Math.min(frame.height, Math.ceil(box.y + box.height)) - y;
  if (width < 2 || height < 2) throw new Error('face box lies outside the frame');
  return { x, y, width, height };
}
