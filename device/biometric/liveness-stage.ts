// Presentation-attack detection as a stage of the kiosk's face path. Per camera it keeps the track
// of the face in view (landmarks and box of each frame: microseconds of work, no extra model) and,
// when the multi-frame decider matches someone, runs the checks the camera's door chose. The
// infrared check asks an injected lookup for the faces in the infrared frame taken with the newest
// colour frame; without one it cannot pass (fails closed). Doors without a setting skip all of it.
import { DEFAULT_INFRARED, judgeLiveness, LandmarkTrack, type Box, type LivenessReport, type LivenessSettings } from '../../biometric/liveness/index.js';
import type { FaceExtraction } from '../../biometric/index.js';

/** Faces the detector found in the infrared frame nearest `monoMs` at this camera; null = no such frame. */
export type InfraredFaceLookup = (readerId: string, monoMs: number, colourBox: Box) => Promise<readonly Box[] | null>;

export interface LivenessStageOptions {
  /** The checks and thresholds of a door; null = the door does not check. */
  settingsFor: (door: string | null) => LivenessSettings | null;
  /** Frames older than this are not part of the track. */
  windowMs: number;
  maxFrames?: number;
  infrared?: InfraredFaceLookup;
}

type Described = Extract<FaceExtraction, { ok: true }>;

export class FaceLivenessStage {
  private readonly tracks = new Map<string, LandmarkTrack>();

  constructor(private readonly options: LivenessStageOptions) {}

  /** A described frame: its landmarks join the camera's track (when its door checks at all). */
  observe(readerId: string, door: string | null, monoMs: number, extraction: Described, bestPersonId: string | null): void {
    if (extraction.landmarks === undefined || this.options.settingsFor(door) === null) return;
    let track = this.tracks.get(readerId);
    if (track === undefined) {
      track = new LandmarkTrack(this.options.windowMs, this.options.maxFrames ?? 8);
      this.tracks.set(readerId, track);
    }
    track.add({ monoMs, personId: bestPersonId, landmarks: extraction.landmarks, box: extraction.box });
  }

  /** The face left the camera's view: its track ends. */
  lost(readerId: string): void {
    this.tracks.get(readerId)?.reset();
  }

  /** The verdict on the face now matched at this camera; null when its door does not check. */
  async judge(readerId: string, door: string | null): Promise<LivenessReport | null> {
    const settings = this.options.settingsFor(door);
    if (settings === null) return null;
    const track = this.tracks.get(readerId);
    const newest = track?.newest();
    if (track === undefined || newest === undefined) return judgeLiveness({ landmarks: [], box: { x: 0, y: 0, width: 0, height: 0 }, infraredFaces: null }, settings);
    let infraredFaces: readonly Box[] | null = null;
    if (settings.checks.includes('infrared') && this.options.infrared !== undefined) {
      infraredFaces = await this.options.infrared(readerId, newest.monoMs, newest.box).catch(() => null);
    }
    return judgeLiveness({ landmarks: track.landmarks(), box: newest.box, infraredFaces }, settings);
  }

  reset(): void {
    for (const track of this.tracks.values()) track.reset();
  }
}

/**
 * Each door's liveness settings, from `biometric.presentationAttack` ("*": the doors not named):
 * null for a door without a setting or with `off`, so its frames cost nothing extra.
 */
export function livenessSettingsByDoor(config: {
  doors: Readonly<Record<string, { action: string; checks: readonly LivenessSettings['checks'][number][] }>>;
  infraredCalibration: LivenessSettings['calibration'];
  motion: LivenessSettings['motion'];
  blink: LivenessSettings['blink'];
}): (door: string | null) => LivenessSettings | null {
  return (door) => {
    const setting = (door === null ? undefined : config.doors[door]) ?? config.doors['*'];
    if (setting === undefined || setting.action === 'off') return null;
    return { checks: setting.checks, motion: config.motion, blink: config.blink, infrared: DEFAULT_INFRARED, calibration: config.infraredCalibration };
  };
}
