// Plane geometry on landmark sets: a least-squares homography between two sets of points (DLT with
// Hartley normalisation) and its reprojection residual. 68 points and an 8x8 solve: microseconds,
// so the door's hot path can afford it on every face frame.

export interface Point {
  x: number;
  y: number;
}

/** Row-major 3x3, h[8] = 1. */
export type Homography = Float64Array;

interface Normaliser {
  cx: number;
  cy: number;
  scale: number;
}

/** Centroid at the origin, mean distance sqrt(2): keeps the normal equations well conditioned. */
function normaliser(points: readonly Point[]): Normaliser {
  let cx = 0;
  let cy = 0;
  for (const p of points) {
    cx += p.x;
    cy += p.y;
  }
  cx /= points.length;
  cy /= points.length;
  let spread = 0;
  for (const p of points) spread += Math.hypot(p.x - cx, p.y - cy);
  spread /= points.length;
  return { cx, cy, scale: spread > 1e-12 ? Math.SQRT2 / spread : 1 };
}

/** Solves A x = b in place (Gaussian elimination, partial pivoting); null when singular. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  for (let col = 0; col < n; col += 1) {
    let pivot = col;
    for (let row = col + 1; row < n; row += 1) if (Math.abs(a[row * n + col]) > Math.abs(a[pivot * n + col])) pivot = row;
    if (Math.abs(a[pivot * n + col]) < 1e-12) return null;
    if (pivot !== col) {
      for (let k = 0; k < n; k += 1) [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k], a[col * n + k]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    for (let row = col + 1; row < n; row += 1) {
      const f = a[row * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let k = col; k < n; k += 1) a[row * n + k] -= f * a[col * n + k];
      b[row] -= f * b[col];
    }
  }
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row -= 1) {
    let sum = b[row];
    for (let k = row + 1; k < n; k += 1) sum -= a[row * n + k] * x[k];
    x[row] = sum / a[row * n + row];
  }
  return x;
}

/** Accumulates one equation row r·h = rhs into the normal equations. */
function accumulate(ata: Float64Array, atb: Float64Array, r: readonly number[], rhs: number): void {
  for (let i = 0; i < 8; i += 1) {
    atb[i] += r[i] * rhs;
    for (let j = 0; j < 8; j += 1) ata[i * 8 + j] += r[i] * r[j];
  }
}

/** The homography taking `from` to `to` in the least-squares sense; null for degenerate sets. */
export function fitHomography(from: readonly Point[], to: readonly Point[]): Homography | null {
  if (from.length !== to.length || from.length < 4) return null;
  const nf = normaliser(from);
  const nt = normaliser(to);
  const ata = new Float64Array(64);
  const atb = new Float64Array(8);
  for (let i = 0; i < from.length; i += 1) {
    const x = (from[i].x - nf.cx) * nf.scale;
    const y = (from[i].y - nf.cy) * nf.scale;
    const u = (to[i].x - nt.cx) * nt.scale;
    const v = (to[i].y - nt.cy) * nt.scale;
    accumulate(ata, atb, [x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    accumulate(ata, atb, [0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  const h = solve(ata, atb, 8);
  if (h === null) return null;
  // Undo the normalisations: H = T_to^-1 · Hn · T_from.
  const tFrom = [nf.scale, 0, -nf.scale * nf.cx, 0, nf.scale, -nf.scale * nf.cy, 0, 0, 1];
  const tToInv = [1 / nt.scale, 0, nt.cx, 0, 1 / nt.scale, nt.cy, 0, 0, 1];
  const hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
  const full = multiply(tToInv, multiply(hn, tFrom));
  const w = full[8];
  return Float64Array.from(full, (value) => value / w);
}

function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r += 1) for (let c = 0; c < 3; c += 1) for (let k = 0; k < 3; k += 1) out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c];
  return out;
}

export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6] * p.x + h[7] * p.y + h[8];
  return { x: (h[0] * p.x + h[1] * p.y + h[2]) / w, y: (h[3] * p.x + h[4] * p.y + h[5]) / w };
}

/** Root-mean-square distance between matching points. */
export function rmsDistance(a: readonly Point[], b: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += (a[i].x - b[i].x) ** 2 + (a[i].y - b[i].y) ** 2;
  return Math.sqrt(sum / Math.max(1, a.length));
}

/** RMS reprojection error of the best single homography from `from` to `to` (Infinity if none fits). */
export function planarResidual(from: readonly Point[], to: readonly Point[]): number {
  const h = fitHomography(from, to);
  if (h === null) return Number.POSITIVE_INFINITY;
  return rmsDistance(from.map((p) => applyHomography(h, p)), to);
}
