// The face engine: frame -> decode -> detect (tiny detector, SSD MobileNet as a second chance) ->
// 68 landmarks -> dlib alignment -> 150x150 chip -> 128-D descriptor, with a quality gate.
import type { Logger } from 'pino';
import type { FaceEngine, FaceExtraction } from '../types.js';
import { decodeFrame, type DecodeOptions, type RawFrameInput, type RgbFrame } from '../image/index.js';
import { CHIP_SIZE, applySimilarity, chipTransform, invertSimilarity, warpChip, type Point } from './align.js';
import { DEFAULT_QUALITY, gateQuality, laplacianVariance, yawRatio, type QualityThresholds } from './quality.js';
import { defaultModelDir, loadFaceApi, loadNets, type BackendChoice, type FaceApi, type FaceNets } from './runtime.js';
import { DEFAULT_DETECTOR, FaceDetector, type DetectedFace, type DetectionPath, type DetectorOptions } from './detect.js';

/**
 * The descriptor every esik tool computes and stores: the dlib ResNet's descriptors of the aligned
 * chip and of its mirror image, averaged. On LFW the mirror lifts verification from 98.4% to 99.1%
 * and the genuine single-frame acceptance at the 1:N threshold from 66% to 73%, for one more ResNet
 * pass per frame (README, "Face accuracy"). Templates made without it carry FACE_ALGO_PLAIN and are
 * refused by a matcher of this one, as a model change should be.
 */
export const FACE_ALGO = 'dlib-resnet-v1/face-api-1.7/chip150+mirror';
/** The chip's descriptor alone (`mirror: false`: evaluation of the recogniser by itself). */
export const FACE_ALGO_PLAIN = 'dlib-resnet-v1/face-api-1.7/chip150';

export interface FaceEngineOptions {
  modelDir?: string;
  backend: BackendChoice;
  logger: Logger;
  quality?: Partial<QualityThresholds>;
  decode?: DecodeOptions;
  detector?: Partial<DetectorOptions>;
  /**
   * Several faces in the frame: 'reject' (kiosk and enrolment: whose face is it?), 'largest', or
   * 'central' (evaluation on press photos such as LFW, centred on the subject, with bystanders that
   * can be larger than the subject or the only face the fast detector finds).
   */
  multipleFaces?: 'reject' | 'largest' | 'central';
  /** Skip the quality gate (evaluation of the recogniser itself); detection failures still count. */
  gate?: boolean;
  /** Average the descriptors of the chip and its mirror image (default: yes; FACE_ALGO says why). */
  mirror?: boolean;
}

export interface DetectionStats {
  frames: number;
  noFace: number;
  /** Frames served by each detection path (first attempt or a second chance). */
  byPath: Record<DetectionPath, number>;
}

/** What a test or the simulator may look at besides the descriptor; never stored. */
export interface FaceInspection {
  extraction: FaceExtraction;
  chip?: Uint8Array;
  chipLandmarks?: Point[];
  path?: DetectionPath;
}

export interface DetailedFaceEngine extends FaceEngine {
  extractFrame(input: Buffer | RawFrameInput): Promise<FaceExtraction>;
  inspect(input: Buffer | RawFrameInput): Promise<FaceInspection>;
  stats(): DetectionStats;
}

class DlibAlignedFaceEngine implements DetailedFaceEngine {
  readonly algo: string;
  private readonly counters: DetectionStats = { frames: 0, noFace: 0, byPath: { tiny: 0, 'tiny-small': 0, ssd: 0, padded: 0 } };
  private closed = false;

  constructor(
    readonly backend: string,
    private readonly faceapi: FaceApi,
    private readonly nets: FaceNets,
    private readonly detector: FaceDetector,
    private readonly options: Required<Pick<FaceEngineOptions, 'multipleFaces' | 'gate' | 'mirror'>> & {
      quality: QualityThresholds;
      decode: DecodeOptions;
    },
    private readonly logger: Logger,
  ) {
    this.algo = options.mirror ? FACE_ALGO : FACE_ALGO_PLAIN;
  }

  stats(): DetectionStats {
    return { ...this.counters, byPath: { ...this.counters.byPath } };
  }

  extract(image: Buffer): Promise<FaceExtraction> {
    return this.extractFrame(image);
  }

  async extractFrame(input: Buffer | RawFrameInput): Promise<FaceExtraction> {
    return (await this.inspect(input)).extraction;
  }

  async inspect(input: Buffer | RawFrameInput): Promise<FaceInspection> {
    if (this.closed) throw new Error('face engine is closed');
    const t0 = performance.now();
    const decoded = await decodeFrame(input, this.options.decode);
    if (!decoded.ok) return { extraction: decoded };
    const t1 = performance.now();
    this.counters.frames += 1;
    const faces = await this.detector.detect(decoded.frame);
    const t2 = performance.now();
    if (faces.faces.length === 0) {
      this.counters.noFace += 1;
      return { extraction: { ok: false, reason: 'no_face', detail: faces.detail } };
    }
    this.counters.byPath[faces.path] += 1;
    const [main, second] = faces.faces;
    if (main === undefined) throw new Error('unreachable');
    const ratio = this.options.quality.secondFaceRatio;
    if (this.options.multipleFaces === 'reject' && second !== undefined && second.box.width >= ratio * main.box.width) {
      const detail = `${faces.faces.length} faces in view (second is ${Math.round((100 * second.box.width) / main.box.width)}% of the first)`;
      return { extraction: { ok: false, reason: 'several_faces', detail } };
    }
    return this.describe(decoded.frame, main, faces.path, { decodeMs: t1 - t0, detectMs: t2 - t1, t2 });
  }

  private async describe(
    frame: RgbFrame,
    face: DetectedFace,
    path: DetectionPath,
    timing: { decodeMs: number; detectMs: number; t2: number },
  ): Promise<FaceInspection> {
    const toImage = chipTransform(face.landmarks);
    const chip = warpChip(frame, toImage, CHIP_SIZE);
    const toChip = invertSimilarity(toImage);
    const chipLandmarks = face.landmarks.map((p) => applySimilarity(toChip, p));
    const quality = {
      detectorScore: face.score,
      faceSizePx: face.box.width,
      sharpness: laplacianVariance(chip, CHIP_SIZE),
      yawRatio: yawRatio(chipLandmarks),
    };
    if (this.options.gate) {
      const verdict = gateQuality(quality, this.options.quality);
      if (verdict !== null) return { extraction: { ok: false, ...verdict }, chip, chipLandmarks, path };
    }
    const descriptor = await this.computeDescriptor(chip);
    const describeMs = performance.now() - timing.t2;
    const extraction: FaceExtraction = {
      ok: true,
      descriptor,
      box: face.box,
      quality,
      timings: { decodeMs: timing.decodeMs, detectMs: timing.detectMs, describeMs },
      landmarks: face.landmarks.map((p) => ({ x: p.x, y: p.y })),
    };
    return { extraction, chip, chipLandmarks, path };
  }

  private async computeDescriptor(chip: Uint8Array): Promise<Float32Array> {
    const plain = await this.describeChip(chip);
    if (!this.options.mirror) return plain;
    const mirrored = await this.describeChip(mirrorChip(chip, CHIP_SIZE));
    return l2Normalise(plain.map((v, i) => v + mirrored[i]));
  }

  private async describeChip(chip: Uint8Array): Promise<Float32Array> {
    const tensor = this.faceapi.tf.tensor3d(chip, [CHIP_SIZE, CHIP_SIZE, 3], 'int32');
    try {
      const raw = await this.nets.recognition.computeFaceDescriptor(tensor);
      const vector = Array.isArray(raw) ? raw[0] : raw;
      if (!(vector instanceof Float32Array)) throw new Error('recognition net returned no descriptor');
      return l2Normalise(vector);
    } finally {
      tensor.dispose();
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.nets.tiny.dispose();
      this.nets.ssd?.dispose();
      this.nets.landmarks.dispose();
      this.nets.recognition.dispose();
      this.logger.debug('face engine closed');
    }
    return Promise.resolve();
  }
}

function mirrorChip(chip: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(chip.length);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const from = (y * size + x) * 3;
      const to = (y * size + (size - 1 - x)) * 3;
      out[to] = chip[from]!;
      out[to + 1] = chip[from + 1]!;
      out[to + 2] = chip[from + 2]!;
    }
  }
  return out;
}

export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i += 1) out[i] = vector[i] / norm;
  return out;
}

/** Loads the backend and the models (from the installed package unless `modelDir` says otherwise). */
export async function createFaceEngine(options: FaceEngineOptions): Promise<DetailedFaceEngine> {
  const logger = options.logger.child({ ns: 'face' });
  const started = performance.now();
  const { faceapi, backend } = await loadFaceApi(options.backend, logger);
  const modelDir = options.modelDir ?? defaultModelDir();
  const nets = await loadNets(faceapi, modelDir, { ssd: (options.detector?.ssd ?? DEFAULT_DETECTOR.ssd) && (options.detector?.retries ?? DEFAULT_DETECTOR.retries) });
  const detector = new FaceDetector(faceapi, nets, options.multipleFaces === 'central' ? { ...options.detector, choose: 'central' } : options.detector);
  logger.info({ backend, modelDir, ms: Math.round(performance.now() - started) }, 'face engine ready');
  return new DlibAlignedFaceEngine(
    backend,
    faceapi,
    nets,
    detector,
    {
      multipleFaces: options.multipleFaces ?? 'reject',
      gate: options.gate ?? true,
      mirror: options.mirror ?? true,
      quality: { ...DEFAULT_QUALITY, ...options.quality },
      decode: options.decode ?? {},
    },
    logger,
  );
}
