// Public face of biometric/face: the engine factory, the alignment maths and the quality gate.
export { createFaceEngine, l2Normalise, FACE_ALGO } from './engine.js';
export type { FaceEngineOptions, DetailedFaceEngine, DetectionStats, FaceInspection } from './engine.js';
export {
  CHIP_SIZE,
  CHIP_PADDING,
  alignmentLandmarkIndices,
  templatePoint,
  fitSimilarity,
  applySimilarity,
  invertSimilarity,
  similarityScale,
  similarityAngle,
  chipTransform,
  warpChip,
} from './align.js';
export type { Point, Similarity } from './align.js';
export { DEFAULT_QUALITY, gateQuality, laplacianVariance, yawRatio } from './quality.js';
export type { QualityThresholds, QualityMeasures, GateVerdict } from './quality.js';
export { DEFAULT_DETECTOR, MIN_LANDMARK_FILL, landmarkFill } from './detect.js';
export type { DetectorOptions, DetectionPath, DetectedFace, Box, FaceChoice } from './detect.js';
export { defaultModelDir } from './runtime.js';
export type { BackendChoice } from './runtime.js';
