// The memory-lean paths (lean-forward.ts, detector-input.ts) against face-api's own, on real photos
// read in place from ../shared/data: the same boxes, scores and descriptors, and a wasm heap that
// stops growing once the first frames have been seen.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir, loadFaceApi, loadNets, type FaceApi, type FaceNets } from '../../biometric/face/runtime.js';
import { LANDMARK_INPUT_SIZE, boxInFrame, clipToFrame, detectorInput, landmarkInput } from '../../biometric/face/detector-input.js';
import { createFaceEngine } from '../../biometric/face/index.js';
import type { RgbFrame } from '../../biometric/image/decode.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');
const lfwDir = process.env.LFW_DIR ?? resolve(dataDir, 'lfw');
const lfwPath = (name: string, n: number) => resolve(lfwDir, 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`);

let faceapi: FaceApi;
let lean: FaceNets;
/** face-api's networks exactly as the package runs them. */
let plain: Pick<FaceNets, 'tiny' | 'recognition'>;

/** An LFW face placed off-centre in a wide camera-sized frame, as RGB. */
async function cameraFrame(name: string, n: number, width: number, height: number): Promise<RgbFrame> {
  const face = await sharp(await readFile(lfwPath(name, n))).resize(Math.round(height * 0.6)).toBuffer();
  const { data, info } = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 110, b: 130 } } })
    .composite([{ input: face, left: Math.round(width * 0.3), top: Math.round(height * 0.15) }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

beforeAll(async () => {
  ({ faceapi } = await loadFaceApi('wasm', pino({ level: 'silent' })));
  lean = await loadNets(faceapi, defaultModelDir(), { ssd: false });
  plain = { tiny: new faceapi.TinyFaceDetector(), recognition: new faceapi.FaceRecognitionNet() };
  await Promise.all([plain.tiny.loadFromDisk(defaultModelDir()), plain.recognition.loadFromDisk(defaultModelDir())]);
});

describe('lean detector input and forward pass', () => {
  it.each([
    ['Abel_Pacheco', 1, 1280, 720],
    ['Woody_Allen', 2, 1024, 576],
    ['Colin_Powell', 3, 640, 480],
    ['Amber_Tamblyn', 1, 250, 250],
  ])('finds the same faces as face-api in %s %i (%ix%i)', async (name, n, width, height) => {
    const frame = await cameraFrame(name, n, width, height);
    for (const inputSize of [320, 224, 416]) {
      const options = new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.3 });
      const whole = faceapi.tf.tensor3d(frame.data, [height, width, 3], 'int32');
      const expected = await plain.tiny.locateFaces(whole, options);
      whole.dispose();
      const square = detectorInput(frame, inputSize);
      const input = faceapi.tf.tensor3d(square.data, [inputSize, inputSize, 3], 'float32');
      const found = await lean.tiny.locateFaces(input, options);
      input.dispose();
      expect(found.length).toBe(expected.length);
      expect(expected.length).toBeGreaterThan(0);
      found.forEach((detection, i) => {
        const box = boxInFrame(detection.box, square);
        expect(detection.score).toBeCloseTo(expected[i].score, 3);
        for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(box[key] - expected[i].box[key])).toBeLessThan(0.5);
      });
    }
  });

  it.each([
    ['Abel_Pacheco', 1, 1280, 720],
    ['Julianna_Margulies', 1, 640, 480],
  ])('places the same landmarks as face-api on the face crop in %s %i', async (name, n, width, height) => {
    const frame = await cameraFrame(name, n, width, height);
    const square = detectorInput(frame, 320);
    const input = faceapi.tf.tensor3d(square.data, [320, 320, 3], 'float32');
    const [detection] = await lean.tiny.locateFaces(input, new faceapi.TinyFaceDetectorOptions({ inputSize: 320 }));
    input.dispose();
    // A tall box and a wide one, so both padding axes are exercised.
    const box = boxInFrame(detection.box, square);
    for (const region of [clipToFrame(frame, box), clipToFrame(frame, { ...box, width: box.width * 0.8 }), clipToFrame(frame, { ...box, height: box.height * 0.8 })]) {
      const whole = faceapi.tf.tensor3d(frame.data, [height, width, 3], 'int32');
      const crop = faceapi.tf.slice3d(whole, [region.y, region.x, 0], [region.height, region.width, 3]);
      const expected = (await lean.landmarks.detectLandmarks(crop)) as { positions: Array<{ x: number; y: number }> };
      whole.dispose();
      crop.dispose();
      const ours = landmarkInput(frame, region);
      const tensor = faceapi.tf.tensor3d(ours.data, [LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE, 3], 'float32');
      const actual = (await lean.landmarks.detectLandmarks(tensor)) as { positions: Array<{ x: number; y: number }> };
      tensor.dispose();
      actual.positions.forEach((p, i) => {
        const q = ours.toFrame(p);
        expect(Math.abs(q.x - (expected.positions[i].x + region.x))).toBeLessThan(0.1);
        expect(Math.abs(q.y - (expected.positions[i].y + region.y))).toBeLessThan(0.1);
      });
    }
  });

  it('runs face-api on TF.js core alone: the union package (layers, converter, WebGL) is never loaded', () => {
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((file) => file.includes('/@tensorflow/tfjs-core/'))).toBe(true);
    expect(loaded.filter((file) => /\/@tensorflow\/tfjs(-layers|-converter|-backend-webgl)?\/dist\//.test(file))).toEqual([]);
    const tensor = faceapi.tf.zeros([2, 3]) as unknown as { as1D(): { shape: number[] }; toInt(): { dtype: string } };
    expect(tensor.as1D().shape).toEqual([6]);
    expect(tensor.toInt().dtype).toBe('int32');
  });

  it('describes a chip exactly as face-api does', async () => {
    const { data } = await sharp(await readFile(lfwPath('Julianna_Margulies', 2))).resize(150, 150).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const chip = () => faceapi.tf.tensor3d(data, [150, 150, 3], 'int32');
    const [a, b] = [chip(), chip()];
    const expected = (await plain.recognition.computeFaceDescriptor(a)) as Float32Array;
    const actual = (await lean.recognition.computeFaceDescriptor(b)) as Float32Array;
    a.dispose();
    b.dispose();
    expect(actual).toHaveLength(128);
    actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5));
  });

  it('leaves no tensor behind and no heap growth, frame after frame', async () => {
    const engine = await createFaceEngine({ backend: 'wasm', logger: pino({ level: 'silent' }), detector: { tinyInputSize: 320, ssd: false } });
    const frame = await sharp((await cameraFrame('Abel_Pacheco', 1, 1280, 720)).data, { raw: { width: 1280, height: 720, channels: 3 } }).jpeg().toBuffer();
    const tf = faceapi.tf as unknown as { backend(): { wasm: { HEAPU8: Uint8Array } }; memory(): { numTensors: number } };
    const heap = () => tf.backend().wasm.HEAPU8.length;
    for (let i = 0; i < 3; i += 1) expect(await engine.extract(frame)).toMatchObject({ ok: true });
    const [tensors, bytes] = [tf.memory().numTensors, heap()];
    for (let i = 0; i < 5; i += 1) expect((await engine.extract(frame)).ok).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(heap()).toBe(bytes);
    await engine.close();
  });
});
