// Presentation-attack detection as one stage: the checks a door chose, over the frames of the
// face's track, give one verdict. A check that cannot judge (too few frames, no infrared frame)
// fails: a door that asked for a check does not pass a face the check never saw.
import { DEFAULT_BLINK, judgeBlink, type BlinkThresholds, type BlinkVerdict } from './blink.js';
import type { Point } from './geometry.js';
import { DEFAULT_INFRARED, IDENTITY_CALIBRATION, judgeInfrared, type Box, type CameraCalibration, type InfraredThresholds, type InfraredVerdict } from './infrared.js';
import { DEFAULT_MOTION, judgeMotion, type MotionThresholds, type MotionVerdict } from './motion.js';

export const LIVENESS_CHECKS = ['motion', 'blink', 'infrared'] as const;
export type LivenessCheck = (typeof LIVENESS_CHECKS)[number];

export interface LivenessSettings {
  checks: readonly LivenessCheck[];
  motion: MotionThresholds;
  blink: BlinkThresholds;
  infrared: InfraredThresholds;
  calibration: CameraCalibration;
}

export const DEFAULT_LIVENESS: LivenessSettings = {
  checks: ['motion'],
  motion: DEFAULT_MOTION,
  blink: DEFAULT_BLINK,
  infrared: DEFAULT_INFRARED,
  calibration: IDENTITY_CALIBRATION,
};

export interface LivenessEvidence {
  /** 68 landmarks of each frame of the face's track, oldest first. */
  landmarks: ReadonlyArray<readonly Point[]>;
  /** The newest colour frame's face box. */
  box: Box;
  /** Faces found in the infrared frame taken with the newest colour frame; null = none to look at. */
  infraredFaces: readonly Box[] | null;
}

export interface LivenessReport {
  suspected: boolean;
  /** The checks that did not pass. */
  failed: LivenessCheck[];
  motion?: MotionVerdict;
  blink?: BlinkVerdict;
  infrared?: InfraredVerdict;
}

export function judgeLiveness(evidence: LivenessEvidence, settings: LivenessSettings): LivenessReport {
  const report: LivenessReport = { suspected: false, failed: [] };
  for (const check of settings.checks) {
    let passed: boolean;
    if (check === 'motion') {
      report.motion = judgeMotion(evidence.landmarks, settings.motion);
      passed = report.motion.verdict === 'live';
    } else if (check === 'blink') {
      report.blink = judgeBlink(evidence.landmarks, settings.blink);
      passed = report.blink.verdict === 'blinked';
    } else {
      report.infrared = judgeInfrared(evidence.box, evidence.infraredFaces, settings.calibration, settings.infrared);
      passed = report.infrared.verdict === 'face_present';
    }
    if (!passed) report.failed.push(check);
  }
  report.suspected = report.failed.length > 0;
  return report;
}
