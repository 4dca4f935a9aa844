// Presentation-attack detection (liveness) from landmarks and an infrared frame. Not certified
// presentation-attack detection: each check stops some attacks and not others (docs/biometrics.md,
// "Presentation attacks"). Pure functions and one small per-camera track; imports nothing of the project.
export { fitHomography, applyHomography, planarResidual, rmsDistance, type Homography, type Point } from './geometry.js';
export { DEFAULT_MOTION, comparePair, interOcularDistance, judgeMotion, type MotionThresholds, type MotionVerdict, type MotionVerdictKind } from './motion.js';
export { DEFAULT_BLINK, eyeAspectRatio, judgeBlink, type BlinkThresholds, type BlinkVerdict } from './blink.js';
export {
  DEFAULT_INFRARED,
  IDENTITY_CALIBRATION,
  intersectionOverUnion,
  judgeInfrared,
  mapBox,
  type Box,
  type CameraCalibration,
  type InfraredThresholds,
  type InfraredVerdict,
} from './infrared.js';
export { DEFAULT_LIVENESS, LIVENESS_CHECKS, judgeLiveness, type LivenessCheck, type LivenessEvidence, type LivenessReport, type LivenessSettings } from './judge.js';
export { LandmarkTrack, type TrackedFrame } from './track.js';
