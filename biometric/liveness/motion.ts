// The motion check: a real face moving in front of the camera is a 3-D, non-rigid thing (the nose
// moves against the cheeks when the head turns, the mouth and eyes change); a printed photo or a
// screen moved in front of the camera is a plane, so the 68 landmarks of any two of its frames are
// related by one homography up to the landmark detector's noise; a still picture does not move at
// all. Distances are in inter-ocular distances (IOD) of the earlier frame, so face size does not
// matter. The detector's own noise grows with the motion (a plane tilted 20 degrees is not
// landmarked exactly as its homography predicts), so a pair is 3-D when its residual is both above
// the noise floor and a large part of the motion: on LFW, different photos of one person leave
// 0.58-0.90 of their motion unexplained by any plane, a photo moved as a plane 0.04-0.23.
//
// What it stops: a photo or a screen image held still or moved/tilted as one plane; a still image
// replayed as frames. What it does not stop: a video replay of the person on a screen (the face in
// the video moves in 3-D), a photo bent around a cylinder or with the eyes cut out, a mask. And a
// real pupil who stands perfectly still for the whole window looks like a still picture.
import { planarResidual, rmsDistance, type Point } from './geometry.js';

export interface MotionThresholds {
  /** Below this largest landmark motion (IOD) the sequence is still. */
  stillMotion: number;
  /** A pair is 3-D only when its residual after the best homography (IOD) is at least this... */
  minResidual: number;
  /** ...and at least this fraction of the pair's motion. */
  minResidualRatio: number;
  /** Frames needed to judge at all. */
  minFrames: number;
  /** Only the newest this many frames are compared (all pairs among them). */
  maxFrames: number;
}

/** Measured on LFW dev images (tests/biometric/liveness-motion.test.ts); see docs/biometrics.md. */
export const DEFAULT_MOTION: MotionThresholds = { stillMotion: 0.01, minResidual: 0.03, minResidualRatio: 0.4, minFrames: 2, maxFrames: 8 };

export type MotionVerdictKind = 'live' | 'still' | 'planar' | 'insufficient';

export interface MotionVerdict {
  verdict: MotionVerdictKind;
  /** Largest RMS landmark motion between two frames, in IOD. */
  maxMotion: number;
  /** Largest RMS residual after the best homography between two frames, in IOD. */
  maxResidual: number;
  /** Largest residual / motion of a pair that moved (at least stillMotion). */
  maxResidualRatio: number;
  frames: number;
}

const LEFT_EYE = [36, 37, 38, 39, 40, 41];
const RIGHT_EYE = [42, 43, 44, 45, 46, 47];

function centre(points: readonly Point[], indices: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of indices) {
    x += points[i].x;
    y += points[i].y;
  }
  return { x: x / indices.length, y: y / indices.length };
}

/** Distance between the eye centres of a 68-point set. */
export function interOcularDistance(landmarks: readonly Point[]): number {
  const left = centre(landmarks, LEFT_EYE);
  const right = centre(landmarks, RIGHT_EYE);
  return Math.hypot(left.x - right.x, left.y - right.y);
}

/** Motion and planar residual between two 68-point sets, in IOD of the first. */
export function comparePair(a: readonly Point[], b: readonly Point[]): { motion: number; residual: number } {
  const iod = Math.max(1e-6, interOcularDistance(a));
  return { motion: rmsDistance(a, b) / iod, residual: planarResidual(a, b) / iod };
}

export function judgeMotion(frames: ReadonlyArray<readonly Point[]>, thresholds: MotionThresholds = DEFAULT_MOTION): MotionVerdict {
  const recent = frames.filter((f) => f.length === 68).slice(-thresholds.maxFrames);
  if (recent.length < Math.max(2, thresholds.minFrames)) return { verdict: 'insufficient', maxMotion: 0, maxResidual: 0, maxResidualRatio: 0, frames: recent.length };
  let maxMotion = 0;
  let maxResidual = 0;
  let maxResidualRatio = 0;
  let threeD = false;
  for (let i = 0; i < recent.length; i += 1) {
    for (let j = i + 1; j < recent.length; j += 1) {
      const { motion, residual } = comparePair(recent[i], recent[j]);
      maxMotion = Math.max(maxMotion, motion);
      maxResidual = Math.max(maxResidual, residual);
      if (motion < thresholds.stillMotion) continue;
      const ratio = residual / motion;
      maxResidualRatio = Math.max(maxResidualRatio, ratio);
      if (residual >= thresholds.minResidual && ratio >= thresholds.minResidualRatio) threeD = true;
    }
  }
  const verdict: MotionVerdictKind = maxMotion < thresholds.stillMotion ? 'still' : threeD ? 'live' : 'planar';
  return { verdict, maxMotion, maxResidual, maxResidualRatio, frames: recent.length };
}
