// Capture quality measures and the gate that turns them into a rejection reason. Measured on the
// aligned chip, so the figures do not depend on how far the pupil stands from the camera.
import type { CaptureRejection } from '../types.js';
import type { Point } from './align.js';

export interface QualityThresholds {
  /** Minimum face width in source pixels (inter-ocular distance drops below what the net resolves). */
  minFacePx: number;
  /** Minimum variance of the Laplacian on the grey chip (centre region); motion blur and defocus fall under. */
  minSharpness: number;
  /** Maximum |yaw ratio| (0 frontal, 1 profile). */
  maxYawRatio: number;
  /** Minimum detector confidence of the chosen face. */
  minDetectorScore: number;
  /** A second face at least this fraction of the main face's width means `several_faces`. */
  secondFaceRatio: number;
}

/** Kiosk and enrolment defaults: a pupil a metre from a 720p camera has a face of ~150-250 px. */
export const DEFAULT_QUALITY: QualityThresholds = {
  minFacePx: 60,
  minSharpness: 15,
  maxYawRatio: 0.6,
  minDetectorScore: 0.3,
  secondFaceRatio: 0.6,
};

export interface QualityMeasures {
  detectorScore: number;
  faceSizePx: number;
  sharpness: number;
  yawRatio: number;
}

/** Variance of the 4-neighbour Laplacian of the grey chip, over its central half (the face itself). */
export function laplacianVariance(chip: Uint8Array, size: number): number {
  const grey = new Float32Array(size * size);
  for (let i = 0; i < size * size; i += 1) {
    grey[i] = 0.299 * chip[i * 3] + 0.587 * chip[i * 3 + 1] + 0.114 * chip[i * 3 + 2];
  }
  const from = Math.floor(size / 4);
  const to = size - from;
  let sum = 0, sumSq = 0, count = 0;
  for (let y = from; y < to; y += 1) {
    for (let x = from; x < to; x += 1) {
      const i = y * size + x;
      const lap = grey[i - 1] + grey[i + 1] + grey[i - size] + grey[i + size] - 4 * grey[i];
      sum += lap;
      sumSq += lap * lap;
      count += 1;
    }
  }
  const mean = sum / count;
  return sumSq / count - mean * mean;
}

/**
 * Yaw from landmark symmetry: distance from the nose tip (30) to each side of the jaw (0, 16),
 * measured along the eye line so head roll does not count. 0 is frontal, +-1 a full profile.
 */
export function yawRatio(landmarks: readonly Point[]): number {
  const left = landmarks[0], right = landmarks[16], nose = landmarks[30];
  const eyeL = landmarks[36], eyeR = landmarks[45];
  if (!left || !right || !nose || !eyeL || !eyeR) return 1;
  const ex = eyeR.x - eyeL.x, ey = eyeR.y - eyeL.y;
  const len = Math.hypot(ex, ey) || 1;
  const ux = ex / len, uy = ey / len;
  const dl = (nose.x - left.x) * ux + (nose.y - left.y) * uy;
  const dr = (right.x - nose.x) * ux + (right.y - nose.y) * uy;
  const total = Math.abs(dl) + Math.abs(dr);
  if (total === 0) return 1;
  return (dl - dr) / total;
}

export interface GateVerdict {
  reason: CaptureRejection;
  detail: string;
}

/** First failing check, in the order a technician would fix them (size, score, pose, blur). */
export function gateQuality(q: QualityMeasures, t: QualityThresholds): GateVerdict | null {
  if (q.faceSizePx < t.minFacePx) {
    return { reason: 'face_too_small', detail: `face is ${Math.round(q.faceSizePx)} px wide, minimum ${t.minFacePx} px` };
  }
  if (q.detectorScore < t.minDetectorScore) {
    return { reason: 'low_quality', detail: `detector confidence ${q.detectorScore.toFixed(2)} below ${t.minDetectorScore}` };
  }
  if (Math.abs(q.yawRatio) > t.maxYawRatio) {
    return { reason: 'bad_pose', detail: `head turned (yaw ratio ${q.yawRatio.toFixed(2)}, limit ${t.maxYawRatio})` };
  }
  if (q.sharpness < t.minSharpness) {
    return { reason: 'blurry', detail: `sharpness ${q.sharpness.toFixed(1)} below ${t.minSharpness} (variance of Laplacian)` };
  }
  return null;
}
