// The door protocol (`npm run eval:door`): the deterministic split, attempts of a fixed number of
// frames, the kiosk's gate and multi-frame rule deciding each attempt, Wilson intervals, the
// stranger-rate threshold, and the on-disk descriptor cache. Descriptors are fixed vectors so the
// expected counts are known exactly; the real engine is covered in face-engine.test.ts.
import { mkdtemp, mkdir, rm, utimes, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeWriteFile } from '../../device/util/safe-write.js';
import { DEFAULT_QUALITY } from '../../biometric/face/quality.js';
import { DescriptorStore, type StoredDescription } from '../../biometric/eval/descriptor-store.js';
import { chunkAttempts, listIdentities, planDoor, planImages, type DoorPlan, type Identity } from '../../biometric/eval/door-plan.js';
import { evaluateDoor, thresholdForStrangerRate, wilson, type DescribesImages } from '../../biometric/eval/door.js';
import type { Frame } from '../../biometric/decision/index.js';
import type { FaceExtraction } from '../../biometric/types.js';

const GOOD_QUALITY = { detectorScore: 0.9, faceSizePx: 120, sharpness: 100, yawRatio: 0 };
const POLICY = { threshold: 0.8, minMargin: 0.05, consecutiveFrames: 2, windowMs: 2000 };

function unit(axis: number, blend?: { axis: number; weight: number }): Float32Array {
  const v = new Float32Array(16);
  v[axis] = 1;
  if (blend !== undefined) v[blend.axis] = blend.weight;
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
}

/** Descriptors by image path; a path not listed has no face. */
function images(table: Record<string, StoredDescription>): DescribesImages {
  return { get: (path) => Promise.resolve(table[path] ?? { ok: false, reason: 'no_face', detail: path }) };
}

const good = (v: Float32Array): StoredDescription => ({ ok: true, descriptor: v, quality: GOOD_QUALITY });

describe('door plan', () => {
  const identities: Identity[] = Array.from({ length: 400 }, (_, i) => {
    const name = `P${String(i).padStart(3, '0')}`;
    const n = 1 + (i % 9);
    return { name, files: Array.from({ length: n }, (_, j) => `${name}/${name}_${j}.jpg`) };
  });

  it('splits identities deterministically; single-image people are always strangers; gallery people enrol up to 3 and attempt with the rest', () => {
    const plan = planDoor(identities);
    expect(planDoor(identities)).toEqual(plan);
    const enrolled = new Set(plan.gallery.map((g) => g.person));
    for (const identity of identities) {
      if (identity.files.length === 1) expect(enrolled.has(identity.name)).toBe(false);
    }
    for (const g of plan.gallery) {
      const files = identities.find((i) => i.name === g.person)!.files;
      expect(g.enrol).toEqual(files.slice(0, Math.min(3, files.length - 1)));
      const frames = plan.attempts.filter((a) => a.person === g.person).flatMap((a) => a.frames);
      expect(frames.length).toBeGreaterThan(0);
      for (const f of frames) expect(g.enrol).not.toContain(f);
    }
    for (const a of plan.attempts) {
      expect(a.frames).toHaveLength(3);
      expect(a.kind === 'genuine').toBe(enrolled.has(a.person));
    }
    // Both roles and both parts are populated by the hash (roughly halves).
    const gallery = plan.gallery.length;
    const multi = identities.filter((i) => i.files.length >= 2).length;
    expect(gallery).toBeGreaterThan(multi * 0.35);
    expect(gallery).toBeLessThan(multi * 0.65);
    const report = plan.attempts.filter((a) => a.part === 'report').length;
    expect(report).toBeGreaterThan(plan.attempts.length * 0.35);
    expect(report).toBeLessThan(plan.attempts.length * 0.65);
    // A different salt is a different split.
    expect(planDoor(identities, { enrolMax: 3, framesPerAttempt: 3, maxAttemptsPerPerson: 5, salt: 'other' }).gallery).not.toEqual(plan.gallery);
  });

  it('fills a short attempt by repeating its own frames and caps attempts per person', () => {
    expect(chunkAttempts(['a', 'b', 'c', 'd', 'e'], 3, 5)).toEqual([['a', 'b', 'c'], ['d', 'e', 'd']]);
    expect(chunkAttempts(['a'], 3, 5)).toEqual([['a', 'a', 'a']]);
    expect(chunkAttempts(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 2, 2)).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('lists identity folders with their images only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esik-door-'));
    try {
      await mkdir(join(dir, 'Ann'));
      await writeFile(join(dir, 'Ann', 'Ann_0002.jpg'), 'x');
      await writeFile(join(dir, 'Ann', 'Ann_0001.png'), 'x');
      await writeFile(join(dir, 'Ann', 'notes.txt'), 'x');
      await mkdir(join(dir, 'Empty'));
      expect(await listIdentities(dir)).toEqual([{ name: 'Ann', files: ['Ann/Ann_0001.png', 'Ann/Ann_0002.jpg'] }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('door attempts through the kiosk rule', () => {
  // Ann (axis 0) and Bob (axis 1) are enrolled; Cat is a stranger who looks like Ann (0.85 on one
  // frame only), Dan a stranger who looks like Bob in every frame; Eve's frames are all bad captures.
  const plan: DoorPlan = {
    gallery: [
      { person: 'Ann', part: 'report', enrol: ['Ann/e1', 'Ann/e2'] },
      { person: 'Bob', part: 'report', enrol: ['Bob/e1'] },
    ],
    attempts: [
      { kind: 'genuine', person: 'Ann', part: 'report', frames: ['Ann/f1', 'Ann/f2', 'Ann/f1'] },
      // One good frame between two bad captures: a streak of one, never two agreeing frames.
      { kind: 'genuine', person: 'Ann', part: 'report', frames: ['Ann/small', 'Ann/f1', 'Ann/blurry'] },
      // Bob's frames look like Ann: a misidentification.
      { kind: 'genuine', person: 'Bob', part: 'report', frames: ['Bob/f1', 'Bob/f1', 'Bob/f1'] },
      { kind: 'stranger', person: 'Cat', part: 'report', frames: ['Cat/f1', 'Cat/f2', 'Cat/f2'] },
      { kind: 'stranger', person: 'Dan', part: 'report', frames: ['Dan/f1', 'Dan/f2', 'Dan/f1'] },
      { kind: 'stranger', person: 'Eve', part: 'report', frames: ['Eve/f1', 'Eve/f1', 'Eve/f1'] },
    ],
  };
  const table: Record<string, StoredDescription> = {
    'Ann/e1': good(unit(0)),
    'Ann/e2': good(unit(0, { axis: 5, weight: 0.3 })),
    'Bob/e1': good(unit(1)),
    'Ann/f1': good(unit(0, { axis: 6, weight: 0.2 })),
    'Ann/f2': good(unit(0, { axis: 5, weight: 0.35 })),
    'Ann/small': { ok: true, descriptor: unit(0), quality: { ...GOOD_QUALITY, faceSizePx: 20 } },
    'Ann/blurry': { ok: true, descriptor: unit(0), quality: { ...GOOD_QUALITY, sharpness: 1 } },
    'Bob/f1': good(unit(0, { axis: 7, weight: 0.1 })),
    'Cat/f1': good(unit(0, { axis: 8, weight: 0.6 })),
    'Cat/f2': good(unit(8)),
    'Dan/f1': good(unit(1, { axis: 9, weight: 0.2 })),
    'Dan/f2': good(unit(1, { axis: 9, weight: 0.3 })),
  };

  it('counts genuine acceptance, misidentification and stranger acceptance per attempt', async () => {
    const report = await evaluateDoor({ plan, enrol: images(table), frames: images(table), policy: POLICY, gate: DEFAULT_QUALITY });
    expect(report.enrolImages).toBe(3);
    expect(report.report.genuineAccept).toMatchObject({ count: 1, of: 3 });
    expect(report.report.misidentified).toMatchObject({ count: 1, of: 3 });
    // Cat's one Ann-like frame (0.86) is never followed by a second one; Dan is let in as Bob.
    expect(report.report.strangerAccept).toMatchObject({ count: 1, of: 3 });
    expect(report.frameRejected).toEqual({ face_too_small: 1, blurry: 1, no_face: 1 });
    // Single frames: Ann's f1 and f2 are accepted alone, Cat's f1 too; the bad captures never are.
    expect(report.reportSingleFrame.genuineAccept.count).toBe(2);
    expect(report.reportSingleFrame.strangerAccept.count).toBe(3);
    expect(report.reportSingleFrame.badCaptures).toBe(3);
  });

  it('a stricter K refuses what K = 2 admitted', async () => {
    const report = await evaluateDoor({ plan, enrol: images(table), frames: images(table), policy: { ...POLICY, consecutiveFrames: 3 }, gate: DEFAULT_QUALITY });
    // Ann's first attempt and Dan's still have three agreeing frames.
    expect(report.report.genuineAccept.count).toBe(1);
    expect(report.report.strangerAccept.count).toBe(1);
    const strict = await evaluateDoor({ plan, enrol: images(table), frames: images(table), policy: { ...POLICY, threshold: 0.99 }, gate: DEFAULT_QUALITY });
    expect(strict.report.strangerAccept.count).toBe(0);
    expect(strict.report.genuineAccept.count).toBe(0);
  });
});

describe('figures', () => {
  it('Wilson 95% intervals', () => {
    const half = wilson(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 3);
    expect(half.high).toBeCloseTo(0.5962, 3);
    const none = wilson(0, 1000);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.00383, 4);
    expect(wilson(0, 0)).toEqual({ rate: 0, low: 0, high: 1 });
  });

  it('threshold for a stranger rate: the lowest admitting at most the allowed share of stranger attempts', () => {
    const scored = new Map<string, Frame>();
    const attempts = Array.from({ length: 1000 }, (_, i) => {
      const score = i / 1000;
      scored.set(`s${i}`, { kind: 'scored', result: { personId: 'Ann', templateId: null, score, secondScore: -1, margin: 1 } });
      return { kind: 'stranger' as const, person: `S${i}`, part: 'calibration' as const, frames: [`s${i}`, `s${i}`, `s${i}`] };
    });
    const t = thresholdForStrangerRate(attempts, scored, POLICY, 0.002);
    // Two strangers (0.998, 0.999) may pass, the third-highest (0.997) may not.
    expect(t).toBeGreaterThan(0.997);
    expect(t).toBeLessThanOrEqual(0.998);
    expect(thresholdForStrangerRate(attempts, scored, POLICY, 0)).toBeGreaterThan(0.999);
  });
});

describe('descriptor cache on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-door-cache-'));
    await mkdir(join(dir, 'images', 'Ann'), { recursive: true });
    await writeFile(join(dir, 'images', 'Ann', 'a.jpg'), 'one');
    await writeFile(join(dir, 'images', 'Ann', 'b.jpg'), 'two');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function store(setting: string, calls: string[]): DescriptorStore {
    return new DescriptorStore({
      imagesDir: join(dir, 'images'),
      setting,
      file: join(dir, 'cache.json'),
      write: (path, data) => safeWriteFile(path, data, 0o600),
      extract: (bytes): Promise<FaceExtraction> => {
        calls.push(bytes.toString());
        if (bytes.toString() === 'two') return Promise.resolve({ ok: false, reason: 'no_face', detail: 'none' });
        return Promise.resolve({ ok: true, descriptor: unit(3), box: { x: 0, y: 0, width: 1, height: 1 }, quality: GOOD_QUALITY, timings: { decodeMs: 0, detectMs: 0, describeMs: 0 } });
      },
    });
  }

  it('describes each image once across runs, again when the photo changes, and never for another setting', async () => {
    const first: string[] = [];
    const a = store('algo-1', first);
    expect(await a.load()).toBe(0);
    const described = await a.get('Ann/a.jpg');
    expect(described.ok && Array.from(described.descriptor)).toEqual(Array.from(unit(3)));
    expect(await a.get('Ann/b.jpg')).toMatchObject({ ok: false, reason: 'no_face' });
    await a.flush();
    expect(first).toEqual(['one', 'two']);
    // Written whole through the durable writer: no temp file left beside it.
    expect((await readdir(dir)).sort()).toEqual(['cache.json', 'images']);

    const second: string[] = [];
    const b = store('algo-1', second);
    expect(await b.load()).toBe(2);
    const again = await b.get('Ann/a.jpg');
    expect(again.ok && Array.from(again.descriptor)).toEqual(Array.from(unit(3)));
    expect(await b.get('Ann/b.jpg')).toMatchObject({ ok: false, reason: 'no_face' });
    expect(second).toEqual([]);

    await writeFile(join(dir, 'images', 'Ann', 'a.jpg'), 'one, retaken');
    await utimes(join(dir, 'images', 'Ann', 'a.jpg'), new Date(), new Date(Date.now() + 5000));
    const third: string[] = [];
    const c = store('algo-1', third);
    await c.load();
    await c.get('Ann/a.jpg');
    expect(third).toEqual(['one, retaken']);

    const other: string[] = [];
    const d = store('algo-2', other);
    expect(await d.load()).toBe(0);
    await d.get('Ann/b.jpg');
    expect(other).toEqual(['two']);
  });

  it('planImages lists enrolment images and distinct frames', () => {
    const plan = planDoor([{ name: 'A', files: ['A/1', 'A/2'] }, { name: 'B', files: ['B/1'] }], { enrolMax: 3, framesPerAttempt: 3, maxAttemptsPerPerson: 5, salt: 'esik-door-v1' });
    const imagesOf = planImages(plan);
    expect(new Set([...imagesOf.enrol, ...imagesOf.frames]).size).toBe(imagesOf.enrol.length + imagesOf.frames.length);
    expect(imagesOf.frames).toContain('B/1');
  });
});
