import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FlatTemplateMatcher, ProbeError, TemplateMismatchError } from '../../biometric/matcher/index.js';
import type { EnrolledTemplate } from '../../biometric/types.js';

const ALGO = 'test-algo-v1';

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32 - 0.5;
  };
}

function randomVector(random: () => number, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = random();
  return v;
}

function template(id: string, personId: string, vector: Float32Array): EnrolledTemplate {
  return { id, personId, modality: 'face', algo: ALGO, vector };
}

function cosine(a: Float32Array, b: Float32Array): number {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  let dot = 0;
  for (let i = 0; i < b.length; i++) dot += a[i] * b[i];
  return dot / (norm(a) * norm(b));
}

/** Brute-force reference: cosine of every template, best, and best of another person. */
function reference(gallery: Map<string, EnrolledTemplate>, probe: Float32Array) {
  const scores = [...gallery.values()].map((t) => ({ t, score: cosine(t.vector, probe) }));
  scores.sort((a, b) => b.score - a.score);
  const best = scores[0];
  const second = scores.find((s) => s.t.personId !== best.t.personId);
  return { personId: best.t.personId, templateId: best.t.id, score: best.score, secondScore: second?.score ?? -1 };
}

function expectSame(matcher: FlatTemplateMatcher, gallery: Map<string, EnrolledTemplate>, probe: Float32Array): void {
  const got = matcher.identify(probe);
  if (gallery.size === 0) {
    expect(got.personId).toBeNull();
    return;
  }
  const want = reference(gallery, probe);
  expect(got.score).toBeCloseTo(want.score, 5);
  expect(got.secondScore).toBeCloseTo(want.secondScore, 5);
  expect(got.margin).toBeCloseTo(want.score - want.secondScore, 5);
  // Two templates can tie exactly: the property's generator repeats seeds (fast-check favours small
  // numbers) and one seed gives one vector. Then either is right, so the check is that the template
  // named holds the best score and belongs to the person named (a CI run failed on such a tie).
  const named = gallery.get(got.templateId ?? '');
  expect(named, `matcher named ${String(got.templateId)}`).toBeDefined();
  expect(cosine(named!.vector, probe)).toBeCloseTo(want.score, 5);
  expect(got.personId).toBe(named!.personId);
}

describe.each(['auto', 'js'] as const)('FlatTemplateMatcher (kernel %s)', (kernel) => {
  it('is exact against brute force on random data across chunk boundaries', () => {
    const random = seededRandom(7);
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 37, chunkSize: 64, kernel });
    const gallery = new Map<string, EnrolledTemplate>();
    for (let i = 0; i < 500; i++) {
      const t = template(`t${i}`, `p${i % 170}`, randomVector(random, 37));
      matcher.upsert(t);
      gallery.set(t.id, t);
    }
    expect(matcher.size()).toBe(500);
    expect(matcher.personCount()).toBe(170);
    for (let k = 0; k < 50; k++) expectSame(matcher, gallery, randomVector(random, 37));
  });

  it('is exact against brute force at 128-D with several templates per person', () => {
    const random = seededRandom(99);
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 128, chunkSize: 256, kernel });
    const gallery = new Map<string, EnrolledTemplate>();
    for (let i = 0; i < 1500; i++) {
      const t = template(`t${i}`, `p${i % 500}`, randomVector(random, 128));
      matcher.upsert(t);
      gallery.set(t.id, t);
    }
    for (let k = 0; k < 40; k++) expectSame(matcher, gallery, randomVector(random, 128));
  });

  it('reports best, second-best of a different person and margin with several templates per person', () => {
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 3 });
    matcher.upsert(template('a1', 'alice', new Float32Array([1, 0, 0])));
    matcher.upsert(template('a2', 'alice', new Float32Array([0.9, 0.1, 0])));
    matcher.upsert(template('b1', 'bob', new Float32Array([0, 1, 0])));
    matcher.upsert(template('c1', 'carol', new Float32Array([0.6, 0.8, 0])));
    const result = matcher.identify(new Float32Array([2, 0, 0]));
    expect(result.personId).toBe('alice');
    expect(result.templateId).toBe('a1');
    expect(result.score).toBeCloseTo(1, 6);
    // alice's second template (0.994) is *not* the runner-up: carol (0.6) is.
    expect(result.secondScore).toBeCloseTo(0.6, 6);
    expect(result.margin).toBeCloseTo(0.4, 6);
    matcher.removePerson('carol');
    expect(matcher.identify(new Float32Array([1, 0, 0])).secondScore).toBeCloseTo(0, 6);
    matcher.removePerson('bob');
    const alone = matcher.identify(new Float32Array([1, 0, 0]));
    expect(alone.secondScore).toBe(-1);
    expect(alone.margin).toBeCloseTo(2, 6);
  });

  it('stays exact under a random interleaving of upsert, replace, remove and identify', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ op: fc.constantFrom('add', 'replace', 'remove', 'removePerson', 'identify'), n: fc.nat(40), seed: fc.nat() }),
          { minLength: 1, maxLength: 120 },
        ),
        (operations) => {
          const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 16, chunkSize: 4, kernel });
          const gallery = new Map<string, EnrolledTemplate>();
          for (const { op, n, seed } of operations) {
            const random = seededRandom(seed + 1);
            const id = `t${n}`;
            if (op === 'add' || op === 'replace') {
              // replace may move a template to another person: the old person must not keep it.
              const t = template(id, `p${op === 'add' ? n % 9 : seed % 9}`, randomVector(random, 16));
              matcher.upsert(t);
              gallery.set(id, t);
            } else if (op === 'remove') {
              expect(matcher.remove(id)).toBe(gallery.delete(id));
            } else if (op === 'removePerson') {
              const personId = `p${n % 9}`;
              const ids = [...gallery.values()].filter((t) => t.personId === personId).map((t) => t.id);
              for (const gone of ids) gallery.delete(gone);
              expect(matcher.removePerson(personId)).toBe(ids.length);
            }
            expect(matcher.size()).toBe(gallery.size);
            expectSame(matcher, gallery, randomVector(random, 16));
          }
        },
      ),
      {
        numRuns: 150,
        // The tie a CI run found: one seed, one vector, for templates of two people.
        examples: [[[{ op: 'replace', n: 1, seed: 0 }, { op: 'add', n: 0, seed: 0 }, { op: 'add', n: 1, seed: 0 }, { op: 'add', n: 0, seed: 0 }]]],
      },
    );
  });

  it('a removed person is never returned, even as runner-up, while identification continues', () => {
    const random = seededRandom(3);
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 16, chunkSize: 8, kernel });
    const target = randomVector(random, 16);
    for (let i = 0; i < 40; i++) matcher.upsert(template(`x${i}`, `p${i % 10}`, randomVector(random, 16)));
    matcher.upsert(template('erased-1', 'erased', target));
    matcher.upsert(template('erased-2', 'erased', target));
    expect(matcher.identify(target).personId).toBe('erased');
    expect(matcher.removePerson('erased')).toBe(2);
    for (let k = 0; k < 20; k++) {
      const result = matcher.identify(k === 0 ? target : randomVector(random, 16));
      expect(result.personId).not.toBe('erased');
      matcher.upsert(template(`late${k}`, `q${k}`, randomVector(random, 16)));
    }
    expect(matcher.has('erased-1')).toBe(false);
    expect(matcher.removePerson('erased')).toBe(0);
  });

  it('refuses templates of another algo, length, modality or with an invalid vector', () => {
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 4 });
    const good = new Float32Array([1, 2, 3, 4]);
    expect(() => matcher.upsert({ ...template('a', 'p', good), algo: 'old-model-v0' })).toThrow(TemplateMismatchError);
    expect(() => matcher.upsert(template('b', 'p', new Float32Array(5).fill(1)))).toThrow(/dimensions/);
    expect(() => matcher.upsert({ ...template('c', 'p', good), modality: 'palm' })).toThrow(/modality/);
    expect(() => matcher.upsert(template('d', 'p', new Float32Array(4)))).toThrow(/invalid_vector/);
    expect(() => matcher.upsert(template('e', 'p', new Float32Array([1, Number.NaN, 0, 0])))).toThrow(/invalid_vector/);
    expect(matcher.size()).toBe(0);
    try {
      matcher.upsert({ ...template('a', 'p', good), algo: 'old-model-v0' });
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateMismatchError);
      expect((error as TemplateMismatchError).reason).toBe('algo');
      expect((error as TemplateMismatchError).templateId).toBe('a');
    }
  });

  it('refuses bad probes and answers an empty gallery with no match', () => {
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 4 });
    expect(matcher.identify(new Float32Array([1, 0, 0, 0]))).toMatchObject({ personId: null, templateId: null });
    expect(() => matcher.identify(new Float32Array(3))).toThrow(ProbeError);
    expect(() => matcher.identify(new Float32Array(4))).toThrow(/zero/);
  });

  it('stores a normalised copy: later mutation of the caller vector changes nothing', () => {
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 2 });
    const vector = new Float32Array([3, 4]);
    matcher.upsert(template('a', 'p', vector));
    vector[0] = -100;
    expect(matcher.identify(new Float32Array([3, 4])).score).toBeCloseTo(1, 6);
  });

  it('reuses freed chunks: shrinking then regrowing the gallery takes no new memory', () => {
    const random = seededRandom(11);
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 16, chunkSize: 4, kernel });
    for (let i = 0; i < 400; i++) matcher.upsert(template(`t${i}`, `p${i}`, randomVector(random, 16)));
    const peak = matcher.storageBytes();
    for (let i = 0; i < 398; i++) matcher.remove(`t${i}`);
    expect(matcher.identify(randomVector(random, 16)).personId).toMatch(/^p39[89]$/);
    for (let i = 0; i < 398; i++) matcher.upsert(template(`u${i}`, `q${i}`, randomVector(random, 16)));
    expect(matcher.size()).toBe(400);
    expect(matcher.storageBytes()).toBe(peak);
  });

  it('uses the SIMD kernel for 128-D when asked for auto, the portable loop otherwise', () => {
    const matcher = new FlatTemplateMatcher({ modality: 'face', algo: ALGO, dimensions: 128, kernel });
    expect(matcher.kernel).toBe(kernel === 'js' ? 'js' : 'wasm-simd');
    expect(new FlatTemplateMatcher({ modality: 'palm', algo: ALGO, dimensions: 37, kernel }).kernel).toBe('js');
  });
});
