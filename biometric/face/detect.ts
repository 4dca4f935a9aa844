// Face detection and landmarks. The tiny detector is fast but misses some faces (strong light,
// small or tilted faces); before declaring "no face" the frame gets a second chance with SSD
// MobileNet v1, which is slower and more thorough. Which path served each frame is counted.
import type { RgbFrame } from '../image/decode.js';
import type { Point } from './align.js';
import type { FaceApi, FaceNets } from './runtime.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  box: Box;
  score: number;
  /** 68 points in frame pixels. */
  landmarks: Point[];
}

/**
 * Which attempt found the face: the configured tiny detector; the tiny detector at a small input
 * size (faces that fill the frame); SSD MobileNet v1; the tiny detector on the frame padded with a
 * grey border (tight crops such as an uploaded passport-style photo, where no detector sees a chin).
 */
export type DetectionPath = 'tiny' | 'tiny-small' | 'ssd' | 'padded';

export interface DetectorOptions {
  /** Tiny detector input size (multiple of 32); larger finds smaller faces, costs time. */
  tinyInputSize: number;
  tinyScoreThreshold: number;
  /** Second chances before "no face"; false means the first attempt only (bench comparisons). */
  retries: boolean;
  /** SSD MobileNet confidence on the retry path. */
  ssdMinConfidence: number;
  /**
   * Landmarks a second time on a square crop around the first landmarks, this many times their
   * extent (0: off). The detector's box is loose and off-centre in ways the landmark net was not
   * trained on; the re-crop centres the face the way the net expects and steadies the alignment.
   */
  landmarkRecrop: number;
}

export const DEFAULT_DETECTOR: DetectorOptions = { tinyInputSize: 416, tinyScoreThreshold: 0.5, retries: true, ssdMinConfidence: 0.3, landmarkRecrop: 0 };

export interface DetectionOutcome {
  /** Largest face first, with landmarks; the rest are boxes only (enough for the several-faces check). */
  faces: DetectedFace[];
  path: DetectionPath;
  detail: string;
}

type Tensor3D = ReturnType<FaceApi['tf']['tensor3d']>;
type Located = Array<{ box: Box; score: number }>;

const PAD_FRACTION = 0.3;

/** The frame with a mid-grey border of `pad` pixels on every side. */
export function padFrame(frame: RgbFrame, pad: number): RgbFrame {
  const width = frame.width + 2 * pad;
  const height = frame.height + 2 * pad;
  const data = Buffer.alloc(width * height * 3, 128);
  for (let y = 0; y < frame.height; y += 1) {
    frame.data.copy(data, ((y + pad) * width + pad) * 3, y * frame.width * 3, (y + 1) * frame.width * 3);
  }
  return { data, width, height };
}

export class FaceDetector {
  private readonly options: DetectorOptions;

  constructor(
    private readonly faceapi: FaceApi,
    private readonly nets: FaceNets,
    options: Partial<DetectorOptions> = {},
  ) {
    this.options = { ...DEFAULT_DETECTOR, ...options };
  }

  async detect(frame: RgbFrame): Promise<DetectionOutcome> {
    const first = await this.withTensor(frame, async (input) => {
      let found = await this.locateTiny(input, this.options.tinyInputSize, this.options.tinyScoreThreshold);
      if (found.length > 0 || !this.options.retries) return { found, path: 'tiny' as DetectionPath };
      if (this.options.tinyInputSize !== 224) {
        found = await this.locateTiny(input, 224, 0.3);
        if (found.length > 0) return { found, path: 'tiny-small' as DetectionPath };
      }
      return { found: await this.locateSsd(input), path: 'ssd' as DetectionPath };
    });
    if (first.found.length > 0) return this.withLandmarks(frame, first.found, first.path);
    if (this.options.retries) {
      const pad = Math.round(PAD_FRACTION * Math.max(frame.width, frame.height));
      const padded = padFrame(frame, pad);
      const found = await this.withTensor(padded, (input) => this.locateTiny(input, 320, 0.3));
      if (found.length > 0) {
        const outcome = await this.withLandmarks(padded, found, 'padded');
        return unpad(outcome, pad);
      }
    }
    const tried = this.options.retries ? 'tiny detector at two sizes, SSD MobileNet, padded frame' : 'tiny detector';
    return { faces: [], path: first.path, detail: `no face found in ${frame.width}x${frame.height} frame (${tried})` };
  }

  private async withTensor<T>(frame: RgbFrame, use: (input: Tensor3D) => Promise<T>): Promise<T> {
    const input = this.faceapi.tf.tensor3d(frame.data, [frame.height, frame.width, 3], 'int32');
    try {
      return await use(input);
    } finally {
      input.dispose();
    }
  }

  private async withLandmarks(frame: RgbFrame, found: Located, path: DetectionPath): Promise<DetectionOutcome> {
    found.sort((a, b) => b.box.width - a.box.width);
    const [main, ...others] = found;
    if (main === undefined) throw new Error('unreachable');
    const landmarks = await this.withTensor(frame, async (input) => {
      const first = await this.landmarks(input, frame, main.box);
      if (this.options.landmarkRecrop <= 0) return first;
      return this.landmarks(input, frame, squareAround(first, this.options.landmarkRecrop));
    });
    return { faces: [{ ...main, landmarks }, ...others.map((o) => ({ ...o, landmarks: [] }))], path, detail: '' };
  }

  private async locateTiny(input: Tensor3D, inputSize: number, scoreThreshold: number): Promise<Located> {
    const options = new this.faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold });
    const detections = await this.nets.tiny.locateFaces(input, options);
    return detections.map((d) => ({ box: plainBox(d.box), score: d.score }));
  }

  private async locateSsd(input: Tensor3D): Promise<Located> {
    const options = new this.faceapi.SsdMobilenetv1Options({ minConfidence: this.options.ssdMinConfidence });
    const detections = await this.nets.ssd.locateFaces(input, options);
    return detections.map((d) => ({ box: plainBox(d.box), score: d.score }));
  }

  /** 68 landmarks from the face crop (clipped to the frame), shifted back into frame pixels. */
  private async landmarks(input: Tensor3D, frame: RgbFrame, box: Box): Promise<Point[]> {
    const x = Math.max(0, Math.floor(box.x));
    const y = Math.max(0, Math.floor(box.y));
    const right = Math.min(frame.width, Math.ceil(box.x + box.width));
    const bottom = Math.min(frame.height, Math.ceil(box.y + box.height));
    const width = right - x;
    const height = bottom - y;
    if (width < 2 || height < 2) throw new Error('face box lies outside the frame');
    const crop = this.faceapi.tf.slice3d(input, [y, x, 0], [height, width, 3]);
    try {
      const result = await this.nets.landmarks.detectLandmarks(crop);
      const single = Array.isArray(result) ? result[0] : result;
      if (single === undefined) throw new Error('landmark net returned nothing');
      return single.positions.map((p) => ({ x: p.x + x, y: p.y + y }));
    } finally {
      crop.dispose();
    }
  }
}

/** A square box centred on the points' extent, `scale` times its longer side. */
export function squareAround(points: readonly Point[], scale: number): Box {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [left, right, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const side = Math.max(right - left, bottom - top) * scale;
  return { x: (left + right) / 2 - side / 2, y: (top + bottom) / 2 - side / 2, width: side, height: side };
}

function unpad(outcome: DetectionOutcome, pad: number): DetectionOutcome {
  const faces = outcome.faces.map((f) => ({
    score: f.score,
    box: { ...f.box, x: f.box.x - pad, y: f.box.y - pad },
    landmarks: f.landmarks.map((p) => ({ x: p.x - pad, y: p.y - pad })),
  }));
  return { ...outcome, faces };
}

function plainBox(box: { x: number; y: number; width: number; height: number }): Box {
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}
