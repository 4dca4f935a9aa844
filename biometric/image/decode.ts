// Frame bytes (JPEG, PNG, raw RGB) -> one bounded sRGB RGB buffer the face pipeline can read.
// Everything that can go wrong with an image from a camera, an upload or a technician's USB stick
// ends here as a typed rejection with a human detail, never as an exception that escapes and never
// as a huge allocation: the pixel count is checked from the header before anything is decoded.
import sharp, { type Sharp } from 'sharp';

/** A decoded frame: tightly packed 8-bit RGB, row-major, `width * height * 3` bytes. */
export interface RgbFrame {
  data: Buffer;
  width: number;
  height: number;
}

/** Raw pixels handed over by a camera that already decoded them. */
export interface RawFrameInput {
  raw: Buffer;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA); 1 (grey) is expanded. */
  channels: 1 | 3 | 4;
}

export type DecodeRejection = 'not_an_image' | 'image_too_large';

export type DecodeResult =
  | { ok: true; frame: RgbFrame; /** Size before any downscale, after EXIF rotation. */ sourceWidth: number; sourceHeight: number }
  | { ok: false; reason: DecodeRejection; detail: string };

export interface DecodeOptions {
  /** Refuse (before decoding) images with more pixels than this. Default 25 MP. */
  maxInputPixels?: number;
  /** Longest side after decode; larger frames are downscaled (faces stay far above the detector's needs). */
  maxSide?: number;
}

export const DEFAULT_MAX_INPUT_PIXELS = 25_000_000;
export const DEFAULT_MAX_SIDE = 1024;

function isRaw(input: Buffer | RawFrameInput): input is RawFrameInput {
  return !Buffer.isBuffer(input);
}

function checkRaw(input: RawFrameInput, maxPixels: number): string | null {
  const { width, height, channels, raw } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return `raw frame has invalid dimensions ${String(width)}x${String(height)}`;
  }
  if (width * height > maxPixels) return null;
  if (raw.length !== width * height * channels) {
    return `raw frame is ${raw.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`;
  }
  return null;
}

/** Reads only the header: format and declared size, without decoding pixels. */
async function readHeader(input: Buffer): Promise<{ width: number; height: number; format: string } | string> {
  try {
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    if (meta.width === undefined || meta.height === undefined) return 'image header has no dimensions';
    return { width: meta.width, height: meta.height, format: meta.format ?? 'unknown' };
  } catch (error: unknown) {
    return `not a decodable image (${errorText(error)})`;
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? text;
}

function explainDecodeFailure(error: unknown, format: string): string {
  const text = errorText(error);
  if (/premature end|truncated|unexpected end|corrupt|invalid/i.test(text)) {
    return `truncated or corrupt ${format} (${text})`;
  }
  return `could not decode ${format} (${text})`;
}

/**
 * Decodes a frame: EXIF orientation applied, any colourspace (CMYK, greyscale, 16-bit) converted to
 * 8-bit sRGB with 3 channels, alpha dropped, downscaled to `maxSide`.
 */
export async function decodeFrame(input: Buffer | RawFrameInput, options: DecodeOptions = {}): Promise<DecodeResult> {
  const maxPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  let pipeline: Sharp;
  let format = 'raw';
  let declared: { width: number; height: number };
  if (isRaw(input)) {
    const problem = checkRaw(input, maxPixels);
    if (problem !== null) return { ok: false, reason: 'not_an_image', detail: problem };
    declared = { width: input.width, height: input.height };
    if (declared.width * declared.height > maxPixels) return tooLarge(declared, maxPixels);
    pipeline = sharp(input.raw, { raw: { width: input.width, height: input.height, channels: input.channels } });
  } else {
    if (input.length === 0) return { ok: false, reason: 'not_an_image', detail: 'empty frame (0 bytes)' };
    const header = await readHeader(input);
    if (typeof header === 'string') return { ok: false, reason: 'not_an_image', detail: header };
    declared = header;
    format = header.format;
    if (declared.width * declared.height > maxPixels) return tooLarge(declared, maxPixels);
    // failOn 'warning' turns libjpeg's "premature end of data" into an error: a half-received frame
    // would otherwise decode with a grey lower half and yield a garbage descriptor.
    pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'warning', sequentialRead: true }).rotate();
  }
  try {
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      return { ok: false, reason: 'not_an_image', detail: `decoded to ${info.channels} channels, expected 3` };
    }
    const rotated = info.width >= info.height === declared.width >= declared.height;
    return {
      ok: true,
      frame: { data, width: info.width, height: info.height },
      sourceWidth: rotated ? declared.width : declared.height,
      sourceHeight: rotated ? declared.height : declared.width,
    };
  } catch (error: unknown) {
    if (/pixel limit/i.test(errorText(error))) return tooLarge(declared, maxPixels);
    return { ok: false, reason: 'not_an_image', detail: explainDecodeFailure(error, format) };
  }
}

function tooLarge(size: { width: number; height: number }, maxPixels: number): DecodeResult {
  const mp = (size.width * size.height) / 1e6;
  return {
    ok: false,
    reason: 'image_too_large',
    detail: `image is ${size.width}x${size.height} (${mp.toFixed(1)} MP), limit is ${(maxPixels / 1e6).toFixed(1)} MP`,
  };
}
