// `npm run bench -- matcher [--sizes=1000,10000,100000] [--probes=200] [--seed=1]`
// Exact 1:N search: our FlatTemplateMatcher against face-api's FaceMatcher on the same random
// normalised 128-D templates (one per person, so both compute exactly N distances), and against
// the memory bound: one sequential read of the same number of bytes. Then the cost of upsert and
// remove while identification runs.
import { createRequire } from 'node:module';
import { FlatTemplateMatcher } from '../biometric/matcher/index.js';

const DIMS = 128;
const require = createRequire(import.meta.url);

interface FaceApiMatcherModule {
  LabeledFaceDescriptors: new (label: string, descriptors: Float32Array[]) => unknown;
  FaceMatcher: new (labelled: unknown[], threshold?: number) => { findBestMatch(d: Float32Array): { label: string; distance: number } };
}

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32 - 0.5;
  };
}

function unitVector(random: () => number): Float32Array {
  const v = new Float32Array(DIMS);
  let sum = 0;
  for (let i = 0; i < DIMS; i++) {
    v[i] = random();
    sum += v[i] * v[i];
  }
  const inverse = 1 / Math.sqrt(sum);
  for (let i = 0; i < DIMS; i++) v[i] *= inverse;
  return v;
}

function percentiles(samples: number[]): { p50: number; p99: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: round(at(0.5)), p99: round(at(0.99)), n: sorted.length };
}

function round(ms: number): number {
  return Math.round(ms * 10_000) / 10_000;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function flag(flags: string[], name: string, fallback: string): string {
  const hit = flags.find((f) => f.startsWith(`--${name}=`));
  return hit === undefined ? fallback : hit.slice(name.length + 3);
}

/** Sequential read of `data` with four independent sums: what touching every byte once costs. */
function sequentialRead(data: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < data.length; i += 4) {
    s0 += data[i];
    s1 += data[i + 1];
    s2 += data[i + 2];
    s3 += data[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

function benchSize(n: number, probes: number, seed: number, faceapi: FaceApiMatcherModule) {
  const random = xorshift(seed + n);
  const vectors = Array.from({ length: n }, () => unitVector(random));
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo: 'bench', dimensions: DIMS });
  const loadMs = time(() => vectors.forEach((vector, i) => matcher.upsert({ id: `t${i}`, personId: `p${i}`, modality: 'face', algo: 'bench', vector })));
  const probeVectors = Array.from({ length: probes }, () => unitVector(random));
  for (let i = 0; i < 20; i++) matcher.identify(probeVectors[i % probes]);
  const ours = probeVectors.map((p) => time(() => matcher.identify(p)));

  const faceMatcher = new faceapi.FaceMatcher(vectors.map((v, i) => new faceapi.LabeledFaceDescriptors(`p${i}`, [v])), 2);
  // FaceMatcher needs ~25 ms per 1,000 templates: fewer probes at large N keep the run in minutes.
  const theirProbes = probeVectors.slice(0, Math.max(5, Math.min(probes, Math.round(500_000 / n))));
  faceMatcher.findBestMatch(theirProbes[0]);
  let agree = 0;
  const theirs = theirProbes.map((p) => {
    let label = '';
    const ms = time(() => (label = faceMatcher.findBestMatch(p).label));
    if (label === matcher.identify(p).personId) agree++;
    return ms;
  });

  const flat = new Float32Array(n * DIMS);
  vectors.forEach((v, i) => flat.set(v, i * DIMS));
  let sink = 0;
  for (let i = 0; i < 5; i++) sink += sequentialRead(flat);
  const memory = probeVectors.map(() => time(() => (sink += sequentialRead(flat))));
  // The JavaScript sum is scalar; a native memcpy of the same bytes (read + write) is the other bound.
  const copyTarget = new Float32Array(flat.length);
  const copy = probeVectors.map(() => time(() => copyTarget.set(flat)));
  const oursP = percentiles(ours);
  const theirsP = percentiles(theirs);
  const memoryP = percentiles(memory);
  return {
    n,
    kernel: matcher.kernel,
    loadMs: round(loadMs),
    ours: oursP,
    faceMatcher: theirsP,
    memoryRead: { ...memoryP, bytes: n * DIMS * 4, checksum: Number.isFinite(sink) },
    memcpy: percentiles(copy),
    speedup_vs_facematcher: round(theirsP.p50 / oursP.p50),
    vs_memory_bound: round(oursP.p50 / memoryP.p50),
    vs_memcpy: round(oursP.p50 / percentiles(copy).p50),
    topMatchAgreement: `${agree}/${theirProbes.length}`,
    matcher,
    random,
  };
}

/** Identification interleaved with upserts (new people, growing the gallery) and removals. */
function churn(matcher: FlatTemplateMatcher, random: () => number, rounds: number) {
  const identify: number[] = [];
  const upsert: number[] = [];
  const remove: number[] = [];
  let next = matcher.size();
  for (let r = 0; r < rounds; r++) {
    const probe = unitVector(random);
    identify.push(time(() => matcher.identify(probe)));
    for (let k = 0; k < 50; k++) {
      const vector = unitVector(random);
      const id = `churn${next++}`;
      upsert.push(time(() => matcher.upsert({ id, personId: id, modality: 'face', algo: 'bench', vector })));
      const victim = `t${Math.floor((random() + 0.5) * 100_000)}`;
      remove.push(time(() => matcher.remove(victim)));
    }
  }
  const upsertP = percentiles(upsert);
  return {
    size: matcher.size(),
    identifyMs: percentiles(identify),
    upsertMs: { ...upsertP, max: round(Math.max(...upsert)) },
    removeMs: { ...percentiles(remove), max: round(Math.max(...remove)) },
  };
}

export async function run(flags: string[]): Promise<object> {
  const sizes = flag(flags, 'sizes', '1000,10000,100000').split(',').map(Number);
  const probes = Number(flag(flags, 'probes', '200'));
  const seed = Number(flag(flags, 'seed', '1'));
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiMatcherModule;
  const results = [];
  let last: ReturnType<typeof benchSize> | null = null;
  for (const n of sizes) {
    last = benchSize(n, probes, seed, faceapi);
    const { matcher: _m, random: _r, ...printable } = last;
    results.push(printable);
  }
  const churnResult = last === null ? null : churn(last.matcher, last.random, Math.min(200, probes));
  await Promise.resolve();
  return { dims: DIMS, probes, node: process.version, arch: process.arch, sizes: results, churn: churnResult, rssMb: Math.round(process.memoryUsage().rss / 1e6) };
}
