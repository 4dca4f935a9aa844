// Enrolment of face photos from the console (issue 17): the photos of one person, held in memory
// only, become face templates computed by the project's own engine (hub/faces: biometric/ on a
// worker thread, the same descriptor and algo the kiosks match with), and the accepted ones are
// upserted into the roster as `template` rows, which the kiosks pull with their next sync. Consent
// and status are checked before any photo reaches the engine: no biometric processing for someone
// who has not agreed to it. One enrolment at a time per hub process: a photo costs the engine about
// a second of CPU, and work a client can cause is bounded (GUIDE §4c).
import { v7 as uuidv7 } from 'uuid';
import type { CaptureRejection, FaceExtraction } from '../../biometric/index.js';
import { encodeTemplateVector, type WireRosterChange } from '../../protocol/index.js';
import type { EnrolmentFaceEngine } from '../faces/index.js';
import type { HubStorage } from '../storage.js';

type PersonData = Extract<WireRosterChange, { op: 'upsert'; type: 'person' }>['data'];

export const MAX_PHOTOS = 5;
export const MAX_PHOTO_BYTES = 4 * 1024 * 1024;

/** One photo's verdict, by its position in the upload (1-based); never the photo itself. */
export type PhotoVerdict =
  | { index: number; ok: true; templateId: string; faceSizePx: number; sharpness: number }
  | { index: number; ok: false; reason: CaptureRejection; detail: string };

export type EnrolmentOutcome =
  | { ok: true; verdicts: PhotoVerdict[]; templateIds: string[]; algo: string | null; cursor: number | null }
  | { ok: false; refusal: 'no_consent' | 'not_active' | 'engine_unavailable' };

/** The hub-side subject of an enrolment: the roster person, or null when there is none. */
export interface EnrolSubject {
  id: string;
  name: string;
  group: string | null;
  status: string;
  biometricConsent: boolean;
}

function notAnImage(error: unknown): FaceExtraction {
  return { ok: false, reason: 'not_an_image', detail: error instanceof Error ? error.message : String(error) };
}

export class EnrolmentService {
  private busy = false;

  constructor(
    private readonly storage: HubStorage,
    private readonly faces: EnrolmentFaceEngine,
  ) {}

  async subject(id: string): Promise<EnrolSubject | null> {
    const change = await this.storage.rosterEntity('person', id);
    if (change?.op !== 'upsert' || change.type !== 'person') return null;
    const p: PersonData = change.data;
    return { id: p.id, name: p.name, group: p.group, status: p.status, biometricConsent: p.biometricConsent };
  }

  /** Takes the one enrolment slot; false when another enrolment holds it. */
  tryAcquire(): boolean {
    if (this.busy) return false;
    this.busy = true;
    return true;
  }

  release(): void {
    this.busy = false;
  }

  /** Why this subject may not be enrolled, checked before a photo is decoded; or null. */
  refusal(subject: EnrolSubject): 'no_consent' | 'not_active' | null {
    if (!subject.biometricConsent) return 'no_consent';
    if (subject.status !== 'active') return 'not_active';
    return null;
  }

  /**
   * Computes a template per photo, one photo at a time, and stores the accepted ones in one roster
   * write. `photos` is emptied as each is handed over, so no reference to the bytes outlives this call.
   */
  async enrol(subject: EnrolSubject, photos: Buffer[]): Promise<EnrolmentOutcome> {
    const refused = this.refusal(subject);
    if (refused !== null) return { ok: false, refusal: refused };
    // An engine that cannot load is the hub's problem, said as such, not a reason on every photo.
    if ((await this.faces.start().catch(() => null)) === null) return { ok: false, refusal: 'engine_unavailable' };
    const verdicts: PhotoVerdict[] = [];
    const changes: WireRosterChange[] = [];
    const templateIds: string[] = [];
    let algo: string | null = null;
    const count = photos.length;
    for (let index = 1; index <= count; index += 1) {
      const photo = photos.shift();
      if (photo === undefined) break;
      // A photo the engine throws on (a decoder's error on a malformed file) is that photo's problem.
      const result = await this.faces.extract(photo).catch((error: unknown) => ({ algo: '', extraction: notAnImage(error) }));
      const verdict = this.verdict(index, result.extraction);
      verdicts.push(verdict);
      if (verdict.ok && result.extraction.ok) {
        algo = result.algo;
        templateIds.push(verdict.templateId);
        const data = encodeTemplateVector(result.extraction.descriptor);
        changes.push({ op: 'upsert', type: 'template', data: { id: verdict.templateId, personId: subject.id, modality: 'face', algo, data } });
      }
    }
    const cursor = changes.length > 0 ? await this.storage.applyRoster(changes) : null;
    return { ok: true, verdicts, templateIds, algo, cursor };
  }

  private verdict(index: number, extraction: FaceExtraction): PhotoVerdict {
    if (!extraction.ok) return { index, ok: false, reason: extraction.reason, detail: extraction.detail };
    return { index, ok: true, templateId: `face-hub-${uuidv7()}`, faceSizePx: Math.round(extraction.quality.faceSizePx), sharpness: Math.round(extraction.quality.sharpness) };
  }
}
