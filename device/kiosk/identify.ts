// Who is presenting? Card and QR are a map lookup in the roster cache; face and palm go to an
// injected biometric identifier (the biometric wiring provides it), so the hot path never
// imports the face pipeline and runs without it.
import type { Presentation } from '../hw/index.js';
import type { Credential, Modality, Person } from '../../sync/store/index.js';
import type { RosterCache } from '../roster-cache.js';

/** The presentation-attack stage's verdict on a face match, for the doors that check. */
export interface LivenessOutcome {
  suspected: boolean;
  /** The checks that did not pass ('motion', 'blink', 'infrared'). */
  failed: string[];
}

export type BiometricResult =
  | { kind: 'match'; personId: string; score: number; liveness?: LivenessOutcome }
  | { kind: 'no_match'; score?: number }
  | { kind: 'bad_capture'; reason: string }
  /** The multi-frame decider wants more frames: no decision, no event. */
  | { kind: 'pending' };

export interface BiometricIdentifier {
  /** `door`: where the presentation was made (its presentation-attack setting applies). */
  identify(presentation: BiometricPresentation, door?: string): Promise<BiometricResult>;
}

export type Identification =
  | { kind: 'identified'; person: Person | null; credential: Credential | null; score?: number; ref?: string; liveness?: LivenessOutcome }
  | { kind: 'bad_capture'; reason: string }
  | { kind: 'pending' };

/** Never the raw card number in an event: the last four characters are enough for a technician. */
export function maskCredentialValue(value: string): string {
  return value.length <= 4 ? '*'.repeat(value.length) : `*${value.slice(-4)}`;
}

type BiometricPresentation = Extract<Presentation, { kind: Modality }>;

function isBiometric(presentation: Presentation): presentation is BiometricPresentation {
  return presentation.kind === 'face' || presentation.kind === 'palm';
}

export async function identify(
  presentation: Presentation,
  roster: RosterCache,
  biometric: BiometricIdentifier | null,
  door?: string,
): Promise<Identification> {
  if (!isBiometric(presentation)) {
    const credential = roster.credential(presentation.kind, presentation.value) ?? null;
    const person = credential === null ? null : (roster.person(credential.personId) ?? null);
    return { kind: 'identified', person, credential, ref: credential?.id ?? maskCredentialValue(presentation.value) };
  }
  if (biometric === null) return { kind: 'bad_capture', reason: 'biometric_unavailable' };
  const result = await biometric.identify(presentation, door);
  switch (result.kind) {
    case 'pending':
      return { kind: 'pending' };
    case 'bad_capture':
      return { kind: 'bad_capture', reason: result.reason };
    case 'no_match':
      return { kind: 'identified', person: null, credential: null, score: result.score };
    case 'match':
      return { kind: 'identified', person: roster.person(result.personId) ?? null, credential: null, score: result.score, ...(result.liveness === undefined ? {} : { liveness: result.liveness }) };
  }
}
