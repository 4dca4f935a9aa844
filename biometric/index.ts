// The biometric engine's public surface. biometric/ imports nothing of the project.
export type * from './types.js';
export * from './calibrate/index.js';
export * from './matcher/index.js';
export * from './decision/index.js';
export * from './palm/index.js';
export * from './face/index.js';
export * from './image/index.js';
