// The kiosk's biometric glue over a real RosterCache, real matchers and deciders. The face engine is
// the one seam replaced: a FaceEngine (an injected interface, as the wiring receives it) that reads
// a descriptor or a capture rejection from the frame bytes, so these tests run without models.
// tests/biometric/identify-real.test.ts runs the real engine on real photos.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FlatTemplateMatcher, PalmIdentifier, syntheticPalmPresentation, syntheticPalmTemplate, syntheticRandom } from '../../../biometric/index.js';
import type { FaceEngine, FaceExtraction } from '../../../biometric/types.js';
import { GallerySync, KioskBiometricIdentifier } from '../../../device/biometric/index.js';
import { emptySnapshot, RosterCache } from '../../../device/roster-cache.js';
import type { Person, TemplateRecord } from '../../../sync/store/types.js';

const FACE_ALGO = 'test-face-v1';
const logger = pino({ level: 'silent' });

class FrameCodedEngine implements FaceEngine {
  readonly backend = 'test';
  readonly algo = FACE_ALGO;
  calls = 0;
  async extract(image: Buffer): Promise<FaceExtraction> {
    this.calls++;
    await Promise.resolve();
    const frame = JSON.parse(image.toString('utf8')) as { v?: number[]; reject?: 'no_face' | 'blurry'; throw?: boolean };
    if (frame.throw === true) throw new Error('model exploded');
    if (frame.reject !== undefined) return { ok: false, reason: frame.reject, detail: 'test' };
    return {
      ok: true,
      descriptor: Float32Array.from(frame.v ?? []),
      box: { x: 0, y: 0, width: 100, height: 100 },
      quality: { detectorScore: 0.9, faceSizePx: 100, sharpness: 100, yawRatio: 1 },
      timings: { decodeMs: 0, detectMs: 0, describeMs: 0 },
    };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function person(id: string, extra: Partial<Person> = {}): Person {
  return { id, name: id, shortName: null, group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short', ...extra };
}

function axis(i: number, dims = 8): number[] {
  const v = new Array<number>(dims).fill(0);
  v[i] = 1;
  return v;
}

function faceTemplate(id: string, personId: string, vector: number[], algo = FACE_ALGO): TemplateRecord {
  return { id, personId, modality: 'face', algo, vector: Float32Array.from(vector) };
}

function setup(people: Person[], templates: TemplateRecord[]) {
  const roster = new RosterCache();
  const snapshot = emptySnapshot();
  for (const p of people) snapshot.people.set(p.id, p);
  snapshot.templates = templates;
  roster.replace(snapshot);
  const faceMatcher = new FlatTemplateMatcher({ modality: 'face', algo: FACE_ALGO, dimensions: 8 });
  const palm = new PalmIdentifier({ algo: 'sim-palm-v1', dimensions: 64, policy: { threshold: 0.7, minMargin: 0.05, consecutiveFrames: 1, windowMs: 1000 }, minQuality: 0.5 });
  const gallery = new GallerySync(roster, new Map([['face', faceMatcher], ['palm', palm.matcher]]), logger);
  gallery.start();
  const identifier = new KioskBiometricIdentifier(
    faceMatcher,
    palm,
    { policy: { threshold: 0.8, minMargin: 0.05, consecutiveFrames: 2, windowMs: 1000 }, unknownCooldownMs: 5000, repeatCooldownMs: 3000, badCaptureReportMs: 5000 },
    logger,
  );
  const engine = new FrameCodedEngine();
  identifier.setFaceEngine(engine);
  return { roster, faceMatcher, palm, gallery, identifier, engine };
}

function face(frame: object, monoMs: number, readerId = 'cam-1') {
  return { kind: 'face' as const, readerId, monoMs, image: Buffer.from(JSON.stringify(frame)) };
}

describe('KioskBiometricIdentifier with GallerySync', () => {
  it('loads only consented, unblocked people with the current model and counts the rest', () => {
    const { gallery, faceMatcher } = setup(
      [person('alice'), person('bob', { biometricConsent: false }), person('carol', { status: 'blocked' })],
      [faceTemplate('a1', 'alice', axis(0)), faceTemplate('b1', 'bob', axis(1)), faceTemplate('c1', 'carol', axis(2)), faceTemplate('a-old', 'alice', axis(3), 'old-model-v0'), faceTemplate('ghost', 'nobody', axis(4))],
    );
    expect(faceMatcher.size()).toBe(1);
    expect(gallery.counts().face).toEqual({ loaded: 1, people: 1, unusedModel: 1, skippedConsent: 3 });
  });

  it('matches a face after K agreeing frames, and a stranger once with no identity', async () => {
    const { identifier } = setup([person('alice'), person('bob')], [faceTemplate('a1', 'alice', axis(0)), faceTemplate('b1', 'bob', axis(1))]);
    expect(await identifier.identify(face({ v: axis(0) }, 0))).toEqual({ kind: 'pending' });
    expect(await identifier.identify(face({ v: axis(0) }, 100))).toEqual({ kind: 'match', personId: 'alice', score: 1 });
    const stranger = [];
    for (let t = 10_000; t < 11_000; t += 100) stranger.push(await identifier.identify(face({ v: axis(5) }, t)));
    expect(stranger.filter((r) => r.kind === 'no_match')).toEqual([{ kind: 'no_match', score: 0 }]);
    expect(identifier.stats()).toMatchObject({ faceMatches: 1, faceNoMatches: 1 });
  });

  it('keeps decisions per reader: frames of two cameras do not add up', async () => {
    const { identifier } = setup([person('alice')], [faceTemplate('a1', 'alice', axis(0))]);
    expect(await identifier.identify(face({ v: axis(0) }, 0, 'cam-1'))).toEqual({ kind: 'pending' });
    expect(await identifier.identify(face({ v: axis(0) }, 50, 'cam-2'))).toEqual({ kind: 'pending' });
    expect((await identifier.identify(face({ v: axis(0) }, 100, 'cam-2'))).kind).toBe('match');
  });

  it('empty frames are silent; other bad captures are reported once per cool-down; a throwing engine is a bad capture', async () => {
    const { identifier } = setup([person('alice')], [faceTemplate('a1', 'alice', axis(0))]);
    for (let t = 0; t < 1000; t += 100) expect(await identifier.identify(face({ reject: 'no_face' }, t))).toEqual({ kind: 'pending' });
    expect(await identifier.identify(face({ reject: 'blurry' }, 1000))).toEqual({ kind: 'bad_capture', reason: 'blurry' });
    expect(await identifier.identify(face({ reject: 'blurry' }, 1100))).toEqual({ kind: 'pending' });
    expect(await identifier.identify(face({ throw: true }, 7000))).toEqual({ kind: 'bad_capture', reason: 'extract_failed' });
    expect(identifier.stats().badCaptures).toMatchObject({ blurry: 2, extract_failed: 1 });
  });

  it('follows the roster live: a purged person is gone at once, a new template is used at once', async () => {
    const { identifier, roster, faceMatcher } = setup([person('alice'), person('bob')], [faceTemplate('a1', 'alice', axis(0))]);
    await identifier.identify(face({ v: axis(0) }, 0));
    expect((await identifier.identify(face({ v: axis(0) }, 100))).kind).toBe('match');
    roster.applyChanges([{ op: 'delete', type: 'person', id: 'alice' }]);
    expect(faceMatcher.size()).toBe(0);
    for (let t = 20_000; t < 20_300; t += 100) expect((await identifier.identify(face({ v: axis(0) }, t))).kind).not.toBe('match');
    roster.applyChanges([{ op: 'upsert', type: 'template', data: faceTemplate('b1', 'bob', axis(1)) }]);
    await identifier.identify(face({ v: axis(1) }, 40_000));
    expect(await identifier.identify(face({ v: axis(1) }, 40_100))).toMatchObject({ kind: 'match', personId: 'bob' });
    // Consent withdrawn: the roster drops the templates, the gallery follows.
    roster.applyChanges([{ op: 'upsert', type: 'person', data: person('bob', { biometricConsent: false }) }]);
    expect(faceMatcher.size()).toBe(0);
  });

  it('palm: genuine matched, impostor not, low quality is a bad capture', async () => {
    const template: TemplateRecord = { id: 'pa', personId: 'alice', modality: 'palm', algo: 'sim-palm-v1', vector: syntheticPalmTemplate('alice', 64) };
    const { identifier } = setup([person('alice')], [template]);
    const random = syntheticRandom('t');
    const palm = (vector: Float32Array, quality: number) => ({ kind: 'palm' as const, readerId: 'palm-1', monoMs: 0, vector, quality });
    expect(await identifier.identify(palm(syntheticPalmPresentation(template.vector, 0.3, random), 0.9))).toMatchObject({ kind: 'match', personId: 'alice' });
    expect((await identifier.identify(palm(syntheticPalmPresentation(syntheticPalmTemplate('eve', 64), 0.3, random), 0.9))).kind).toBe('no_match');
    expect(await identifier.identify(palm(template.vector, 0.1))).toEqual({ kind: 'bad_capture', reason: 'low_quality' });
  });

  it('refuses a face engine of another model, and reports frames while no engine is loaded', async () => {
    const { identifier } = setup([person('alice')], [faceTemplate('a1', 'alice', axis(0))]);
    const other = Object.assign(new FrameCodedEngine(), { algo: 'other-model' });
    expect(() => identifier.setFaceEngine(other)).toThrow(/other-model/);
    identifier.setFaceEngine(null);
    expect(await identifier.identify(face({ v: axis(0) }, 0))).toEqual({ kind: 'bad_capture', reason: 'face_engine_unavailable' });
  });
});
