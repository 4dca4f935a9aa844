export { FlatTemplateMatcher, type FlatMatcherOptions } from './flat-matcher.js';
export { TemplateMismatchError, ProbeError } from './errors.js';
export { normalised, normaliseInto, cosineSimilarity } from './vector.js';
