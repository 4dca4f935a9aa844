// The infrared check: a second camera without an IR-cut filter (a Pi NoIR) beside the colour one,
// lit by an 850 nm illuminator, captures at the same instant. Skin reflects 850 nm; phone and
// tablet screens emit none (their light is visible only), so a face shown on a screen is dark in
// the infrared frame. The face must be found in the infrared frame where the colour frame shows
// it, mapped by the cameras' calibration (scale and offset from config), with a matching size.
//
// What it stops: a face on a phone, tablet or monitor. What it does not stop: a printed photo
// (paper and toner reflect 850 nm, often with a visible face), a mask. It says nothing when the
// infrared camera has no recent frame: that is `unavailable`, not a pass.

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Colour-frame pixels to infrared-frame pixels: ir = colour * scale + offset. */
export interface CameraCalibration {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

export const IDENTITY_CALIBRATION: CameraCalibration = { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 };

export interface InfraredThresholds {
  /** Overlap (intersection over union) of the mapped colour box and an infrared face box. */
  minIou: number;
  /** Width ratio of the infrared face to the mapped colour face, both ways. */
  maxSizeRatio: number;
}

export const DEFAULT_INFRARED: InfraredThresholds = { minIou: 0.4, maxSizeRatio: 1.5 };

export interface InfraredVerdict {
  verdict: 'face_present' | 'face_absent' | 'geometry_mismatch' | 'unavailable';
  /** Best overlap found (0 when no face). */
  iou: number;
}

export function mapBox(box: Box, calibration: CameraCalibration): Box {
  return {
    x: box.x * calibration.scaleX + calibration.offsetX,
    y: box.y * calibration.scaleY + calibration.offsetY,
    width: box.width * calibration.scaleX,
    height: box.height * calibration.scaleY,
  };
}

export function intersectionOverUnion(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  const union = a.width * a.height + b.width * b.height - inter;
  return union <= 0 ? 0 : inter / union;
}

/**
 * Judges the faces the detector found in the infrared frame (null: no infrared frame close enough
 * in time) against the colour frame's face box.
 */
export function judgeInfrared(
  colourBox: Box,
  infraredFaces: readonly Box[] | null,
  calibration: CameraCalibration = IDENTITY_CALIBRATION,
  thresholds: InfraredThresholds = DEFAULT_INFRARED,
): InfraredVerdict {
  if (infraredFaces === null) return { verdict: 'unavailable', iou: 0 };
  if (infraredFaces.length === 0) return { verdict: 'face_absent', iou: 0 };
  const expected = mapBox(colourBox, calibration);
  let best = 0;
  for (const face of infraredFaces) {
    const ratio = face.width / Math.max(1e-6, expected.width);
    const sizeOk = ratio <= thresholds.maxSizeRatio && ratio >= 1 / thresholds.maxSizeRatio;
    const iou = intersectionOverUnion(expected, face);
    if (sizeOk) best = Math.max(best, iou);
  }
  return { verdict: best >= thresholds.minIou ? 'face_present' : 'geometry_mismatch', iou: best };
}
