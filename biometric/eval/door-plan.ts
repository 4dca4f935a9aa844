// The door protocol's data plan: who is enrolled, with which images, and which attempts are made by
// enrolled people and by strangers. Deterministic from the identity list alone (a salted hash of
// each name), so anyone re-running it on the same folder gets the same split, and nothing depends on
// pairs_dev.txt's fold order.
//
// - An identity with >= 2 images is in the gallery or among the strangers by one bit of its hash;
//   single-image identities are always strangers (they cannot both enrol and attempt).
// - A second bit puts each identity in the calibration part or the report part. Thresholds and
//   levers are chosen on calibration attempts only; the figures are reported on report attempts.
//   The gallery holds every gallery identity of both parts: the door has one gallery.
// - A gallery identity enrols its first min(enrolMax, n - 1) images (sorted file names); its other
//   images are its attempts' frames. A stranger's images are all attempt frames.
// - Frames are taken in file order, `framesPerAttempt` to an attempt, at most
//   `maxAttemptsPerPerson` attempts per identity (a few public figures have hundreds of photos and
//   would otherwise outweigh everyone else). An attempt with fewer images than frames repeats its
//   images in turn: a pupil standing still gives the camera near-identical frames, so a repeated
//   frame is the realistic case, and for a stranger the harder one.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type Part = 'calibration' | 'report';

export interface Identity {
  name: string;
  /** Image paths relative to the images folder, sorted. */
  files: string[];
}

export interface GalleryPerson {
  person: string;
  part: Part;
  enrol: string[];
}

export interface Attempt {
  kind: 'genuine' | 'stranger';
  person: string;
  part: Part;
  frames: string[];
}

export interface DoorPlan {
  gallery: GalleryPerson[];
  attempts: Attempt[];
}

export interface DoorPlanOptions {
  enrolMax: number;
  framesPerAttempt: number;
  maxAttemptsPerPerson: number;
  /** Changes the split; the default is the documented one. */
  salt: string;
}

export const DEFAULT_DOOR_PLAN: DoorPlanOptions = { enrolMax: 3, framesPerAttempt: 3, maxAttemptsPerPerson: 5, salt: 'esik-door-v1' };

/** Identity folders of an images folder (`<Name>/<file>.jpg|png`), sorted by name. */
export async function listIdentities(imagesDir: string): Promise<Identity[]> {
  const names = (await readdir(imagesDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const identities: Identity[] = [];
  for (const name of names) {
    const files = (await readdir(join(imagesDir, name))).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    if (files.length > 0) identities.push({ name, files: files.map((f) => `${name}/${f}`) });
  }
  return identities;
}

function hashBits(salt: string, name: string): number {
  return createHash('sha256').update(`${salt}:${name}`).digest().readUInt32BE(0);
}

/** Splits `frames` into attempts of exactly `size` frames, the last one filled by repeating its own. */
export function chunkAttempts(frames: readonly string[], size: number, maxAttempts: number): string[][] {
  const attempts: string[][] = [];
  for (let start = 0; start < frames.length && attempts.length < maxAttempts; start += size) {
    const own = frames.slice(start, start + size);
    attempts.push(Array.from({ length: size }, (_, i) => own[i % own.length]));
  }
  return attempts;
}

export function planDoor(identities: readonly Identity[], options: DoorPlanOptions = DEFAULT_DOOR_PLAN): DoorPlan {
  const gallery: GalleryPerson[] = [];
  const attempts: Attempt[] = [];
  for (const identity of identities) {
    const bits = hashBits(options.salt, identity.name);
    const part: Part = (bits & 2) === 0 ? 'calibration' : 'report';
    const enrols = identity.files.length >= 2 && (bits & 1) === 0;
    if (enrols) {
      const count = Math.min(options.enrolMax, identity.files.length - 1);
      gallery.push({ person: identity.name, part, enrol: identity.files.slice(0, count) });
      for (const frames of chunkAttempts(identity.files.slice(count), options.framesPerAttempt, options.maxAttemptsPerPerson)) {
        attempts.push({ kind: 'genuine', person: identity.name, part, frames });
      }
    } else {
      for (const frames of chunkAttempts(identity.files, options.framesPerAttempt, options.maxAttemptsPerPerson)) {
        attempts.push({ kind: 'stranger', person: identity.name, part, frames });
      }
    }
  }
  return { gallery, attempts };
}

/** Every image the plan uses, split by what describes it: enrolment (enrol tools) or the door's frames. */
export function planImages(plan: DoorPlan): { enrol: string[]; frames: string[] } {
  const enrol = plan.gallery.flatMap((g) => g.enrol);
  const frames = [...new Set(plan.attempts.flatMap((a) => a.frames))];
  return { enrol, frames };
}
