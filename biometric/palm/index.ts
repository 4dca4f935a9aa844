export { PalmIdentifier, decideSingle, type PalmConfig, type PalmDecision } from './palm-identifier.js';
export { syntheticPalmTemplate, syntheticPalmPresentation, syntheticRandom } from './synthetic.js';
