export { GallerySync, type GalleryCounts } from './gallery-sync.js';
export { KioskBiometricIdentifier, type FaceDecisionOptions, type IdentifierStats } from './identifier.js';
