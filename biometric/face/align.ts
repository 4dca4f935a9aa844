// dlib-style face alignment. The 128-D descriptor (dlib's ResNet) was trained on 150x150 chips made
// by dlib's get_face_chip_details: a least-squares similarity transform (rotation, uniform scale,
// translation) from the 68-point landmarks to dlib's mean face, padding 0.25. face-api's own chain
// crops the landmark box without rotating it, so a tilted head gives a chip the network never saw.
// Measured on LFW (README, "Face accuracy"): these chips are geometrically right (checked by eye and
// against dlib's constants) yet give no gain over face-api's crop. Not isolated: face-api's 68-point
// net is not dlib's shape predictor, and its ResNet weights are an 8-bit-quantised copy of dlib's.
import type { RgbFrame } from '../image/index.js';

export interface Point {
  x: number;
  y: number;
}

/** x' = a*x - b*y + tx, y' = b*x + a*y + ty (rotation + uniform scale + translation). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

// dlib's mean face shape for landmarks 17..67 (dlib/image_transforms/interpolation.h), in a unit box.
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127,
  0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825,
  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985,
  0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379,
  0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352,
  0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852,
  0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405,
  0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792,
  0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];

export const CHIP_SIZE = 150;
export const CHIP_PADDING = 0.25;

/**
 * The landmark indices dlib uses: nose, eyes and the upper mouth. The jaw (0-16) follows head pose
 * and hair, the eyebrows move with expression, the lower lip with an open mouth; dlib skips them.
 */
export function alignmentLandmarkIndices(): number[] {
  const indices: number[] = [];
  for (let i = 17; i < 68; i += 1) {
    const eyebrow = i <= 26;
    const lowerLip = (i >= 55 && i <= 59) || (i >= 65 && i <= 67);
    if (!eyebrow && !lowerLip) indices.push(i);
  }
  return indices;
}

/** Template point for landmark `index` (17..67) in chip pixels. */
export function templatePoint(index: number, size = CHIP_SIZE, padding = CHIP_PADDING): Point {
  const x = MEAN_FACE_X[index - 17];
  const y = MEAN_FACE_Y[index - 17];
  if (x === undefined || y === undefined) throw new RangeError(`no template point for landmark ${index}`);
  return { x: ((padding + x) / (2 * padding + 1)) * size, y: ((padding + y) / (2 * padding + 1)) * size };
}

/** Least-squares similarity transform mapping `from[i]` onto `to[i]` (Umeyama, 2-D closed form). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) throw new RangeError('need at least two point pairs of equal count');
  const n = from.length;
  let fx = 0, fy = 0, gx = 0, gy = 0;
  for (let i = 0; i < n; i += 1) {
    fx += from[i].x; fy += from[i].y; gx += to[i].x; gy += to[i].y;
  }
  fx /= n; fy /= n; gx /= n; gy /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i += 1) {
    const px = from[i].x - fx, py = from[i].y - fy;
    const qx = to[i].x - gx, qy = to[i].y - gy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new RangeError('degenerate point set');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: gx - (a * fx - b * fy), ty: gy - (b * fx + a * fy) };
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: Similarity): Similarity {
  const det = t.a * t.a + t.b * t.b;
  const a = t.a / det;
  const b = -t.b / det;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/** Scale factor of the transform (image pixels per chip pixel when it maps chip -> image). */
export function similarityScale(t: Similarity): number {
  return Math.hypot(t.a, t.b);
}

/** Rotation in degrees. */
export function similarityAngle(t: Similarity): number {
  return (Math.atan2(t.b, t.a) * 180) / Math.PI;
}

/** The chip -> image transform for a 68-point landmark set (dlib's get_face_chip_details). */
export function chipTransform(landmarks: readonly Point[], size = CHIP_SIZE, padding = CHIP_PADDING): Similarity {
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  const indices = alignmentLandmarkIndices();
  const from = indices.map((i) => templatePoint(i, size, padding));
  const to = indices.map((i) => landmarks[i]);
  return fitSimilarity(from, to);
}

/**
 * Samples a size x size RGB chip: chip pixel (x, y) takes the bilinear value at chipToImage(x, y).
 * Outside the frame reads as black, as in dlib's extract_image_chip.
 */
export function warpChip(frame: RgbFrame, chipToImage: Similarity, size = CHIP_SIZE): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const { data, width, height } = frame;
  const { a, b, tx, ty } = chipToImage;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const sx = a * x - b * y + tx;
      const sy = b * x + a * y + ty;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) continue;
      const wx = sx - x0, wy = sy - y0;
      const i00 = (y0 * width + x0) * 3;
      const i10 = i00 + 3;
      const i01 = i00 + width * 3;
      const i11 = i01 + 3;
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c += 1) {
        const top = data[i00 + c] * (1 - wx) + data[i10 + c] * wx;
        const bottom = data[i01 + c] * (1 - wx) + data[i11 + c] * wx;
        out[o + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}
