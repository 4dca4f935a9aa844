// The blink check, for doors that choose it: the eye aspect ratio (EAR, Soukupová and Čech 2016:
// the eye's two vertical landmark distances over twice its width) drops from ~0.3 to under ~0.2
// when the eyes close. A blink seen in the window (some frame open, some frame closed) passes.
//
// What it stops: a printed photo or a still image on a screen (the eyes never close). What it does
// not stop: a video replay, a photo with the eyes cut out and real eyes behind it. At 5 frames a
// second a blink (100-400 ms) is often missed between frames: the window must be long enough for a
// person to blink on purpose, and the door should tell them to.
import type { Point } from './geometry.js';

export interface BlinkThresholds {
  /** EAR at or below this: eyes closed. */
  closedEar: number;
  /** EAR at or above this: eyes open. */
  openEar: number;
  minFrames: number;
}

export const DEFAULT_BLINK: BlinkThresholds = { closedEar: 0.2, openEar: 0.25, minFrames: 3 };

export interface BlinkVerdict {
  verdict: 'blinked' | 'no_blink' | 'insufficient';
  minEar: number;
  maxEar: number;
  frames: number;
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** EAR of the six points of one eye, in the 68-point order p1..p6. */
function eyeRatio(p: readonly Point[], first: number): number {
  const [p1, p2, p3, p4, p5, p6] = [0, 1, 2, 3, 4, 5].map((k) => p[first + k]) as [Point, Point, Point, Point, Point, Point];
  const width = dist(p1, p4);
  return width <= 1e-9 ? 0 : (dist(p2, p6) + dist(p3, p5)) / (2 * width);
}

/** Mean EAR of both eyes of a 68-point set. */
export function eyeAspectRatio(landmarks: readonly Point[]): number {
  return (eyeRatio(landmarks, 36) + eyeRatio(landmarks, 42)) / 2;
}

export function judgeBlink(frames: ReadonlyArray<readonly Point[]>, thresholds: BlinkThresholds = DEFAULT_BLINK): BlinkVerdict {
  const ears = frames.filter((f) => f.length === 68).map(eyeAspectRatio);
  if (ears.length < thresholds.minFrames) return { verdict: 'insufficient', minEar: 0, maxEar: 0, frames: ears.length };
  const minEar = Math.min(...ears);
  const maxEar = Math.max(...ears);
  const blinked = minEar <= thresholds.closedEar && maxEar >= thresholds.openEar;
  return { verdict: blinked ? 'blinked' : 'no_blink', minEar, maxEar, frames: ears.length };
}
