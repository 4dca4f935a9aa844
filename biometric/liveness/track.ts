// The frames one camera has seen of the face now in front of it: landmarks and box per frame, for
// the presentation-attack checks. A track ends when the face leaves (a frame without a face), when
// the best match changes person (a photo held up after a pupil walked off must not borrow the
// pupil's motion), or when its frames are older than the window. Bounded: at most `maxFrames`.
import type { Point } from './geometry.js';
import type { Box } from './infrared.js';

export interface TrackedFrame {
  monoMs: number;
  /** Best match of the frame (null: nobody above any score). */
  personId: string | null;
  landmarks: readonly Point[];
  box: Box;
}

export class LandmarkTrack {
  private frames: TrackedFrame[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly maxFrames: number,
  ) {}

  add(frame: TrackedFrame): void {
    const last = this.frames[this.frames.length - 1];
    if (last !== undefined && last.personId !== frame.personId) this.frames = [];
    this.frames.push(frame);
    const oldest = frame.monoMs - this.windowMs;
    this.frames = this.frames.filter((f) => f.monoMs >= oldest).slice(-this.maxFrames);
  }

  /** The face left the frame. */
  reset(): void {
    this.frames = [];
  }

  get size(): number {
    return this.frames.length;
  }

  landmarks(): Array<readonly Point[]> {
    return this.frames.map((f) => f.landmarks);
  }

  newest(): TrackedFrame | undefined {
    return this.frames[this.frames.length - 1];
  }
}
