// SYNTHETIC palm vectors for the simulator and tests. They come from no real palm and carry no
// biometric information: each person's "palm" is a deterministic pseudo-random Gaussian direction
// derived from (seed, personId), and each presentation adds fresh Gaussian noise, which is roughly
// how a feature-vector palm reader's repeat captures scatter around a user's centre.

/** xorshift32 seeded from a string (FNV-1a), so the same person always gets the same palm. */
export function syntheticRandom(seedText: string): () => number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seedText.length; i++) {
    hash ^= seedText.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  let state = hash >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Standard normal draws by Box-Muller. */
function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const inverse = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] *= inverse;
  return vector;
}

/** The enrolled (noise-free) synthetic palm of a person: unit length, deterministic. */
export function syntheticPalmTemplate(personId: string, dimensions: number, seed = 'esik-synthetic-palm'): Float32Array {
  const random = syntheticRandom(`${seed}:${personId}`);
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) vector[i] = gaussian(random);
  return unit(vector);
}

/**
 * One synthetic presentation of `template`: template + noise * N(0, 1/d) per component, unit length.
 * Expected cosine to the template is about 1 / sqrt(1 + noise^2) (noise 0.5 -> ~0.89).
 */
export function syntheticPalmPresentation(template: Float32Array, noise: number, random: () => number): Float32Array {
  const scale = noise / Math.sqrt(template.length);
  const vector = new Float32Array(template.length);
  for (let i = 0; i < template.length; i++) vector[i] = template[i] + scale * gaussian(random);
  return unit(vector);
}
