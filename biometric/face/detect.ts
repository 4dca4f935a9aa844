// Face detection and landmarks. The tiny detector is fast but misses some faces (strong light,
// small or tilted faces); before declaring "no face" the frame gets a second chance with SSD
// MobileNet v1, which is slower and more thorough. Which path served each frame is counted.
import type { RgbFrame } from '../image/index.js';
import type { Point } from './align.js';
import { LANDMARK_INPUT_SIZE, boxInFrame, clipToFrame, detectorInput, landmarkInput } from './detector-input.js';
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
  /**
   * SSD MobileNet v1 as a second chance. It finds faces the tiny detector misses, but the first run
   * grows TF.js's wasm heap by about 140 MB for good (measured on a 1280x720 frame), so the kiosk
   * config leaves it off (`biometric.faceDetector.ssd`); evaluation and enrolment tools keep it.
   */
  ssd: boolean;
  /** SSD MobileNet confidence on the retry path. */
  ssdMinConfidence: number;
  /**
   * Landmarks a second time on a square crop around the first landmarks, this many times their
   * extent (0: off). The detector's box is loose and off-centre in ways the landmark net was not
   * trained on; the re-crop centres the face the way the net expects and steadies the alignment.
   */
  landmarkRecrop: number;
  /**
   * Which face is the subject: the largest, or the one over the frame centre ('central': press
   * photos such as LFW, centred on the subject). With 'central', a first attempt that finds only
   * off-centre faces (a bystander) also takes the second chances: on LFW the tiny detector misses the
   * centred subject and finds only a bystander in 18 of 3,811 images, and those pairs fail for sure.
   */
  choose: FaceChoice;
}

export type FaceChoice = 'largest' | 'central';

export const DEFAULT_DETECTOR: DetectorOptions = { tinyInputSize: 416, tinyScoreThreshold: 0.5, retries: true, ssd: true, ssdMinConfidence: 0.3, landmarkRecrop: 0, choose: 'largest' };

export interface DetectionOutcome {
  /** The subject first (see `choose`), with landmarks; the rest are boxes only (enough for the several-faces check). */
  faces: DetectedFace[];
  path: DetectionPath;
  detail: string;
}

type Tensor3D = ReturnType<FaceApi['tf']['tensor3d']>;
type Located = Array<{ box: Box; score: number }>;

const PAD_FRACTION = 0.3;
/** Below this, landmark extent / box width means the landmark net did not find the face in the box. */
export const MIN_LANDMARK_FILL = 0.55;

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
    const first = await this.firstGood(frame);
    if (first.outcome !== undefined) return first.outcome;
    if (this.options.retries) {
      const pad = Math.round(PAD_FRACTION * Math.max(frame.width, frame.height));
      const padded = padFrame(frame, pad);
      const found = await this.locateTiny(padded, 320, 0.3);
      if (found.length > 0) return unpad(await this.withLandmarks(padded, found, 'padded'), pad);
    }
    const tried = this.options.retries ? `tiny detector at two sizes, ${this.options.ssd ? 'SSD MobileNet, ' : ''}padded frame` : 'tiny detector';
    return { faces: [], path: first.lastPath, detail: `no face found in ${frame.width}x${frame.height} frame (${tried})` };
  }

  /**
   * The first attempt whose subject is good (see `isGood`); if none is, the first that found any
   * face at all. Each retry costs a detector pass, so the common frame pays for one attempt only.
   */
  private async firstGood(frame: RgbFrame): Promise<{ outcome?: DetectionOutcome; lastPath: DetectionPath }> {
    const attempts: Array<[DetectionPath, () => Promise<Located>]> = [
      ['tiny', () => this.locateTiny(frame, this.options.tinyInputSize, this.options.tinyScoreThreshold)],
    ];
    if (this.options.retries) {
      if (this.options.tinyInputSize !== 224) attempts.push(['tiny-small', () => this.locateTiny(frame, 224, 0.3)]);
      if (this.options.ssd) attempts.push(['ssd', () => this.locateSsd(frame)]);
    }
    let fallback: DetectionOutcome | undefined;
    for (const [path, locate] of attempts) {
      const found = await locate();
      if (found.length === 0) continue;
      const outcome = await this.withLandmarks(frame, found, path);
      if (this.isGood(outcome, frame)) return { outcome, lastPath: path };
      fallback ??= outcome;
    }
    return { outcome: fallback, lastPath: attempts[attempts.length - 1][0] };
  }

  /**
   * A subject worth describing: its landmarks fill a plausible part of its box (a box several
   * times the face, or a false detection, gives landmarks that collapse into a blur: on LFW
   * the landmark extent is 0.71-0.96 of the box width for 98% of images and below 0.55 only for
   * such failures), and with choose 'central' the box is over the frame centre.
   */
  private isGood(outcome: DetectionOutcome, frame: RgbFrame): boolean {
    const subject = outcome.faces[0];
    if (subject === undefined) return false;
    if (this.options.choose === 'central' && !coversCentre(subject.box, frame)) return false;
    return landmarkFill(subject) >= MIN_LANDMARK_FILL;
  }

  /** Runs `use` on a tensor that is disposed afterwards, whatever happens. */
  private async withTensor<T>(tensor: Tensor3D, use: (input: Tensor3D) => Promise<T>): Promise<T> {
    try {
      return await use(tensor);
    } finally {
      tensor.dispose();
    }
  }

  private async withLandmarks(frame: RgbFrame, found: Located, path: DetectionPath): Promise<DetectionOutcome> {
    if (this.options.choose === 'central') found.sort((a, b) => centreDistance(a.box, frame) - centreDistance(b.box, frame));
    else found.sort((a, b) => b.box.width - a.box.width);
    const [main, ...others] = found;
    if (main === undefined) throw new Error('unreachable');
    let landmarks = await this.landmarks(frame, main.box);
    if (this.options.landmarkRecrop > 0) landmarks = await this.landmarks(frame, squareAround(landmarks, this.options.landmarkRecrop));
    return { faces: [{ ...main, landmarks }, ...others.map((o) => ({ ...o, landmarks: [] }))], path, detail: '' };
  }

  /** The tiny detector on the frame's square detector input (detector-input.ts), boxes in frame pixels. */
  private async locateTiny(frame: RgbFrame, inputSize: number, scoreThreshold: number): Promise<Located> {
    const options = new this.faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold });
    const square = detectorInput(frame, inputSize);
    const tensor = this.faceapi.tf.tensor3d(square.data, [inputSize, inputSize, 3], 'float32');
    const detections = await this.withTensor(tensor, (input) => this.nets.tiny.locateFaces(input, options));
    return detections.map((d) => ({ box: boxInFrame(plainBox(d.box), square), score: d.score }));
  }

  /** SSD (evaluation and enrolment tools only, never in the kiosk) keeps face-api's own input step. */
  private async locateSsd(frame: RgbFrame): Promise<Located> {
    const ssd = this.nets.ssd;
    if (ssd === null) return [];
    const options = new this.faceapi.SsdMobilenetv1Options({ minConfidence: this.options.ssdMinConfidence });
    const tensor = this.faceapi.tf.tensor3d(frame.data, [frame.height, frame.width, 3], 'int32');
    const detections = await this.withTensor(tensor, (input) => ssd.locateFaces(input, options));
    return detections.map((d) => ({ box: plainBox(d.box), score: d.score }));
  }

  /** 68 landmarks from the face's region of the frame (clipped to it), in frame pixels. */
  private async landmarks(frame: RgbFrame, box: Box): Promise<Point[]> {
    const square = landmarkInput(frame, clipToFrame(frame, box));
    const tensor = this.faceapi.tf.tensor3d(square.data, [LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE, 3], 'float32');
    const result = await this.withTensor(tensor, (input) => this.nets.landmarks.detectLandmarks(input));
    const single = Array.isArray(result) ? result[0] : result;
    if (single === undefined) throw new Error('landmark net returned nothing');
    return single.positions.map((p) => square.toFrame(p));
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

/** The longer side of the landmarks' extent over the box width. */
export function landmarkFill(face: DetectedFace): number {
  if (face.landmarks.length === 0 || face.box.width <= 0) return 0;
  const xs = face.landmarks.map((p) => p.x);
  const ys = face.landmarks.map((p) => p.y);
  return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) / face.box.width;
}

function coversCentre(box: Box, frame: RgbFrame): boolean {
  const [cx, cy] = [frame.width / 2, frame.height / 2];
  return box.x <= cx && cx <= box.x + box.width && box.y <= cy && cy <= box.y + box.height;
}

/** Distance from the box centre to the frame centre; boxes over the centre always come first. */
function centreDistance(box: Box, frame: RgbFrame): number {
  const d = Math.hypot(box.x + box.width / 2 - frame.width / 2, box.y + box.height / 2 - frame.height / 2);
  return coversCentre(box, frame) ? d : d + frame.width + frame.height;
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
