// Small vector helpers shared by the matcher and palm code. Allocation-free where it matters.

/** Writes the L2-normalised `source` into `target` (may be the same array). Returns the norm. */
export function normaliseInto(source: Float32Array, target: Float32Array, targetOffset = 0): number {
  let sum = 0;
  for (let i = 0; i < source.length; i++) sum += source[i] * source[i];
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm)) return norm;
  const inverse = 1 / norm;
  for (let i = 0; i < source.length; i++) target[targetOffset + i] = source[i] * inverse;
  return norm;
}

/** A normalised copy; throws on a zero or non-finite vector (NaN from a broken extractor, say). */
export function normalised(vector: Float32Array): Float32Array {
  const out = new Float32Array(vector.length);
  const norm = normaliseInto(vector, out);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new Error('vector has zero or non-finite norm');
  return out;
}

/** Cosine similarity of two vectors of equal length (normalises on the fly). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`vector lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
