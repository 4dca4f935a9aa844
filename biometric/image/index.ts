// Public face of biometric/image: bounded, typed decoding of camera frames and uploads.
export { decodeFrame, DEFAULT_MAX_INPUT_PIXELS, DEFAULT_MAX_SIDE } from './decode.js';
export type { RgbFrame, RawFrameInput, DecodeResult, DecodeRejection, DecodeOptions } from './decode.js';
