// The biometric engine's public vocabulary. biometric/ imports nothing of the project.
// Vectors are L2-normalised Float32Array; a match score is cosine similarity (higher is closer),
// so one threshold convention serves face (128-D dlib ResNet) and palm (reader-defined length).

export type Modality = 'face' | 'palm';

export interface EnrolledTemplate {
  id: string;
  personId: string;
  modality: Modality;
  /** Model id and version; the matcher refuses vectors of another algo or length. */
  algo: string;
  vector: Float32Array;
}

export interface MatchResult {
  /** Best person, or null when the gallery is empty. */
  personId: string | null;
  templateId: string | null;
  score: number;
  /** Best score of a *different* person (-1 when there is none). */
  secondScore: number;
  margin: number;
}

/** Exact 1:N search over one contiguous Float32Array per modality. */
export interface TemplateMatcher {
  readonly modality: Modality;
  readonly algo: string;
  readonly dimensions: number;
  size(): number;
  /** Adds or replaces (same id) a template without pausing identification. */
  upsert(template: EnrolledTemplate): void;
  remove(templateId: string): boolean;
  /** Removes every template of a person (deletion, block, consent withdrawn). Returns how many. */
  removePerson(personId: string): number;
  identify(probe: Float32Array): MatchResult;
}

export type CaptureRejection =
  | 'not_an_image'
  | 'image_too_large'
  | 'no_face'
  | 'several_faces'
  | 'face_too_small'
  | 'blurry'
  | 'bad_pose'
  | 'low_quality';

export type FaceExtraction =
  | {
      ok: true;
      descriptor: Float32Array;
      /** Face box in the decoded (EXIF-rotated) image. */
      box: { x: number; y: number; width: number; height: number };
      quality: { detectorScore: number; faceSizePx: number; sharpness: number; yawRatio: number };
      timings: { decodeMs: number; detectMs: number; describeMs: number };
      /**
       * The 68 landmarks in the decoded image (presentation-attack checks: motion, blink). Never
       * stored; optional so engines and fakes that do not give them still satisfy the type.
       */
      landmarks?: ReadonlyArray<{ x: number; y: number }>;
    }
  | { ok: false; reason: CaptureRejection; detail: string };

export interface FaceEngine {
  /** "wasm" or "tensorflow" (tfjs-node), for `esik status`. */
  readonly backend: string;
  readonly algo: string;
  extract(image: Buffer): Promise<FaceExtraction>;
  close(): Promise<void>;
}

/** Per-modality decision thresholds, calibrated by `esik biometric calibrate`. */
export interface MatchPolicy {
  threshold: number;
  minMargin: number;
  /** K consecutive agreeing frames within windowMs (face only; palm uses K = 1). */
  consecutiveFrames: number;
  windowMs: number;
}
