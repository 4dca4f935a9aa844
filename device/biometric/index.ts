export { GallerySync, type GalleryCounts } from './gallery-sync.js';
export { KioskBiometricIdentifier, type FaceDecisionOptions, type IdentifierStats } from './identifier.js';
export { palmFormat, palmFormatOf } from './palm-format.js';
export type { PalmFormat } from './palm-format.js';
export { FaceLivenessStage, livenessSettingsByDoor } from './liveness-stage.js';
export { WorkerFaceEngine } from './face-worker.js';
export { FaceEngineHolder } from './face-engine-holder.js';
