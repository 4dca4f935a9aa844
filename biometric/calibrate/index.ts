export {
  rateAt,
  operatingCurve,
  bestAccuracyThreshold,
  thresholdForFar,
  equalErrorRate,
  type LabelledScore,
  type OperatingPoint,
  type EqualErrorRate,
} from './metrics.js';
export {
  splitIntoFolds,
  crossValidateThreshold,
  calibrate,
  type FoldResult,
  type CrossValidation,
  type CalibrationReport,
} from './cross-validate.js';
export { parsePairsFile, lfwImagePath, type FacePair, type PairsFile } from './pairs.js';
export { scorePairs, type DescribeImage, type ScoredPairs } from './score-pairs.js';
