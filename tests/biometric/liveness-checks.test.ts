// The presentation-attack checks one by one: the homography fit on exact plane motions, the blink
// check on landmarks with the eyes closed, the infrared check on generated infrared frames (the
// colour photo as a NoIR camera sees skin, in grey; a screen, dark at 850 nm; a face elsewhere), with
// the real detector, and the combined judge failing closed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine, type DetailedFaceEngine } from '../../biometric/index.js';
import type { RawFrameInput } from '../../biometric/image/decode.js';
import {
  applyHomography,
  eyeAspectRatio,
  fitHomography,
  judgeBlink,
  judgeInfrared,
  judgeLiveness,
  judgeMotion,
  planarResidual,
  DEFAULT_LIVENESS,
  LandmarkTrack,
  type Box,
  type Point,
} from '../../biometric/liveness/index.js';
import { LFW_DIR, lfwPeople, rawRgb, randomPlaneMotion, seeded } from './liveness-frames.js';

const haveLfw = existsSync(join(LFW_DIR, 'images'));

/** A 68-point stand-in: a grid with a depth per point, so a rotation out of the plane is not planar. */
function face3d(): Array<{ x: number; y: number; z: number }> {
  const random = seeded(5);
  return Array.from({ length: 68 }, (_, i) => ({ x: 100 + (i % 9) * 12 + random() * 3, y: 100 + Math.floor(i / 9) * 14 + random() * 3, z: random() * 60 }));
}

function rotateY(points: Array<{ x: number; y: number; z: number }>, degrees: number): Point[] {
  const a = (degrees * Math.PI) / 180;
  const cx = 150;
  return points.map((p) => ({ x: cx + (p.x - cx) * Math.cos(a) + p.z * Math.sin(a), y: p.y }));
}

describe('homography fit', () => {
  it('recovers an exact plane motion with no residual; a 3-D rotation leaves one', () => {
    const points = rotateY(face3d(), 0);
    const h = randomPlaneMotion(seeded(9), 300, 300);
    const moved = points.map((p) => applyHomography(Float64Array.from(h), p));
    const fitted = fitHomography(points, moved)!;
    expect(planarResidual(points, moved)).toBeLessThan(1e-6);
    fitted.forEach((v, i) => expect(v).toBeCloseTo(h[i] / h[8], 6));
    expect(planarResidual(rotateY(face3d(), 0), rotateY(face3d(), 15))).toBeGreaterThan(1);
  });

  it('refuses degenerate sets', () => {
    expect(fitHomography([{ x: 0, y: 0 }], [{ x: 1, y: 1 }])).toBeNull();
    const same = Array.from({ length: 68 }, () => ({ x: 5, y: 5 }));
    expect(fitHomography(same, same)).toBeNull();
  });
});

describe.skipIf(!haveLfw)('checks on LFW landmarks and generated infrared frames', () => {
  let engine: DetailedFaceEngine;
  let photo: RawFrameInput;
  let landmarks: readonly Point[];
  let box: Box;

  beforeAll(async () => {
    engine = await createFaceEngine({ backend: 'wasm', logger: pino({ level: 'silent' }), gate: false, multipleFaces: 'central' });
    const [person] = await lfwPeople(4, 1, 17);
    photo = await rawRgb(person.files[0]);
    const extraction = await engine.extractFrame(photo);
    if (!extraction.ok || extraction.landmarks === undefined) throw new Error('no face in the test photo');
    landmarks = extraction.landmarks;
    box = extraction.box;
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
  });

  /** The eyelids of a 68-point set moved onto the lower lid: eyes closed. */
  function closeEyes(points: readonly Point[]): Point[] {
    const out = points.map((p) => ({ ...p }));
    for (const [upper, lower] of [[37, 41], [38, 40], [43, 47], [44, 46]] as const) out[upper] = { x: out[upper].x, y: out[lower].y - 0.5 };
    return out;
  }

  it('blink: an open, closed, open sequence passes; open eyes throughout (a photo) do not', () => {
    expect(eyeAspectRatio(landmarks)).toBeGreaterThan(0.22);
    const closed = closeEyes(landmarks);
    expect(eyeAspectRatio(closed)).toBeLessThan(0.1);
    expect(judgeBlink([landmarks, landmarks, closed, landmarks]).verdict).toBe('blinked');
    expect(judgeBlink([landmarks, landmarks, landmarks, landmarks]).verdict).toBe('no_blink');
    expect(judgeBlink([landmarks]).verdict).toBe('insufficient');
  });

  async function facesIn(frame: RawFrameInput): Promise<Box[]> {
    const extraction = await engine.extractFrame(frame);
    return extraction.ok ? [extraction.box] : [];
  }

  /** How a NoIR camera sees the scene: grey, skin bright, at `scale` of the colour camera's size, shifted right by `shiftX`. */
  async function infraredOf(frame: RawFrameInput, scale: number, shiftX = 0): Promise<RawFrameInput> {
    const grey = Buffer.alloc(frame.width * frame.height * 3);
    for (let y = 0; y < frame.height; y += 1) {
      for (let x = 0; x < frame.width; x += 1) {
        const from = x - shiftX;
        if (from < 0 || from >= frame.width) continue;
        const i = (y * frame.width + from) * 3;
        const v = Math.min(255, 10 + 1.2 * (0.299 * frame.raw[i] + 0.587 * frame.raw[i + 1] + 0.114 * frame.raw[i + 2]));
        grey.fill(Math.round(v), (y * frame.width + x) * 3, (y * frame.width + x) * 3 + 3);
      }
    }
    const width = Math.round(frame.width * scale);
    const height = Math.round(frame.height * scale);
    const raw = await sharp(grey, { raw: { width: frame.width, height: frame.height, channels: 3 } }).resize(width, height).raw().toBuffer();
    return { raw, width, height, channels: 3 };
  }

  /** A phone held up to the camera: in infrared its screen is dark, with sensor noise. */
  function screenInInfrared(frame: RawFrameInput): RawFrameInput {
    const random = seeded(3);
    const raw = Buffer.alloc(frame.width * frame.height * 3);
    for (let i = 0; i < raw.length; i += 3) raw[i] = raw[i + 1] = raw[i + 2] = Math.floor(6 + random() * 10);
    return { raw, width: frame.width, height: frame.height, channels: 3 };
  }

  it('infrared: a face where the colour frame shows it passes, through the calibration between the cameras', async () => {
    const calibration = { scaleX: 0.8, scaleY: 0.8, offsetX: 0, offsetY: 0 };
    const infrared = await infraredOf(photo, 0.8);
    expect(judgeInfrared(box, await facesIn(infrared), calibration).verdict).toBe('face_present');
  }, 60_000);

  it('infrared: a screen shows no face; a face elsewhere or a missing calibration is a mismatch; no frame is unavailable', async () => {
    expect(judgeInfrared(box, await facesIn(screenInInfrared(photo))).verdict).toBe('face_absent');
    const shifted = await infraredOf(photo, 1, 90);
    expect(judgeInfrared(box, await facesIn(shifted)).verdict).toBe('geometry_mismatch');
    expect(judgeInfrared(box, await facesIn(await infraredOf(photo, 0.6))).verdict).toBe('geometry_mismatch');
    expect(judgeInfrared(box, null).verdict).toBe('unavailable');
  }, 60_000);

  it('the judge runs only the checks the door chose and fails closed on one it cannot judge', () => {
    const still = [landmarks, landmarks, landmarks];
    expect(judgeLiveness({ landmarks: still, box, infraredFaces: null }, DEFAULT_LIVENESS)).toMatchObject({ suspected: true, failed: ['motion'] });
    expect(judgeMotion(still).verdict).toBe('still');
    const all = { ...DEFAULT_LIVENESS, checks: ['motion', 'blink', 'infrared'] as const };
    const report = judgeLiveness({ landmarks: still, box, infraredFaces: [box] }, all);
    expect(report.failed).toEqual(['motion', 'blink']);
    expect(report.infrared?.verdict).toBe('face_present');
    expect(judgeLiveness({ landmarks: still, box, infraredFaces: null }, { ...DEFAULT_LIVENESS, checks: [] }).suspected).toBe(false);
  });
});

describe('landmark track', () => {
  const frame = (monoMs: number, personId: string | null): Parameters<LandmarkTrack['add']>[0] => ({ monoMs, personId, landmarks: [], box: { x: 0, y: 0, width: 1, height: 1 } });
  it('starts over when the matched person changes, forgets frames older than the window, keeps at most maxFrames', () => {
    const track = new LandmarkTrack(1000, 3);
    track.add(frame(0, 'a'));
    track.add(frame(100, 'a'));
    expect(track.size).toBe(2);
    track.add(frame(200, 'b'));
    expect(track.size).toBe(1);
    track.add(frame(1500, 'b'));
    expect(track.size).toBe(1);
    for (const t of [1600, 1700, 1800]) track.add(frame(t, 'b'));
    expect(track.size).toBe(3);
    track.reset();
    expect(track.size).toBe(0);
  });
});
