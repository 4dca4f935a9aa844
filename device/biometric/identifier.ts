// The kiosk's BiometricIdentifier: a face frame goes through the face engine, the face matcher and
// the reader's multi-frame decider; a palm vector through the palm identifier (K = 1). Bad
// captures never open anything. A camera sends frames continuously, so "nobody in the frame" is
// silent and other capture problems are reported at most once per cool-down per reader: the event
// log records that someone stood there with a blurry face, not every blurry frame.
import type { Logger } from 'pino';
import { MultiFrameDecider, validateMatchPolicy, type DeciderConfig, type FlatTemplateMatcher, type FrameDecision, type PalmIdentifier } from '../../biometric/index.js';
import type { FaceEngine, FaceExtraction } from '../../biometric/index.js';
import type { Presentation } from '../hw/index.js';
import type { BiometricIdentifier, BiometricResult } from '../kiosk/index.js';
import type { FaceLivenessStage } from './liveness-stage.js';

export interface FaceDecisionOptions extends DeciderConfig {
  /** A reportable bad capture (blurry, face too small...) is reported at most this often per reader. */
  badCaptureReportMs: number;
}

export interface IdentifierStats {
  faceFrames: number;
  faceMatches: number;
  faceNoMatches: number;
  palmPresentations: number;
  palmMatches: number;
  /** Face matches the presentation-attack checks of their door did not pass. */
  spoofSuspected: number;
  badCaptures: Record<string, number>;
}

type FacePresentation = Extract<Presentation, { kind: 'face' }>;
type PalmPresentation = Extract<Presentation, { kind: 'palm' }>;

export class KioskBiometricIdentifier implements BiometricIdentifier {
  private readonly log: Logger;
  private engine: FaceEngine | null = null;
  private readonly deciders = new Map<string, MultiFrameDecider>();
  private readonly lastReportMs = new Map<string, number>();
  private readonly counters: IdentifierStats = { faceFrames: 0, faceMatches: 0, faceNoMatches: 0, palmPresentations: 0, palmMatches: 0, spoofSuspected: 0, badCaptures: {} };

  constructor(
    private readonly faceMatcher: FlatTemplateMatcher,
    private readonly palm: PalmIdentifier | null,
    private readonly faceOptions: FaceDecisionOptions,
    logger: Logger,
    /** Presentation-attack detection for the doors that ask for it; null = none anywhere. */
    private readonly liveness: FaceLivenessStage | null = null,
  ) {
    this.log = logger.child({ ns: 'biometric' });
    // Fails fast on an invalid face policy, before any frame arrives.
    validateMatchPolicy(faceOptions.policy);
  }

  /** Plugs in the face engine once its models are loaded; its model must be the gallery's. */
  setFaceEngine(engine: FaceEngine | null): void {
    if (engine !== null && engine.algo !== this.faceMatcher.algo) {
      throw new Error(`face engine runs ${engine.algo}, the gallery holds ${this.faceMatcher.algo}`);
    }
    this.engine = engine;
    for (const decider of this.deciders.values()) decider.reset();
    this.liveness?.reset();
  }

  get faceReady(): boolean {
    return this.engine !== null;
  }

  stats(): IdentifierStats {
    return { ...this.counters, badCaptures: { ...this.counters.badCaptures } };
  }

  async identify(presentation: FacePresentation | PalmPresentation, door?: string): Promise<BiometricResult> {
    if (presentation.kind === 'palm') return this.identifyPalm(presentation);
    return this.identifyFace(presentation, door ?? null);
  }

  private async identifyFace(presentation: FacePresentation, door: string | null): Promise<BiometricResult> {
    this.counters.faceFrames++;
    const engine = this.engine;
    if (engine === null) return this.badCapture(presentation, 'face_engine_unavailable');
    let extraction: FaceExtraction;
    try {
      extraction = await engine.extract(presentation.image);
    } catch (error) {
      // The engine's own contract is to return a rejection; a throw is a bug or a broken model.
      this.log.error({ err: error, reader: presentation.readerId }, 'face extraction failed');
      return this.badCapture(presentation, 'extract_failed');
    }
    const decider = this.deciderFor(presentation.readerId);
    if (!extraction.ok) {
      decider.observe({ kind: 'bad_capture', reason: extraction.reason }, presentation.monoMs);
      if (extraction.reason === 'no_face') {
        this.liveness?.lost(presentation.readerId);
        return { kind: 'pending' };
      }
      return this.badCapture(presentation, extraction.reason);
    }
    const result = this.faceMatcher.identify(extraction.descriptor);
    this.liveness?.observe(presentation.readerId, door, presentation.monoMs, extraction, result.personId);
    const decision = this.fromDecision(decider.observe({ kind: 'scored', result }, presentation.monoMs));
    if (decision.kind !== 'match' || this.liveness === null) return decision;
    const report = await this.liveness.judge(presentation.readerId, door);
    if (report === null) return decision;
    if (report.suspected) this.counters.spoofSuspected++;
    return { ...decision, liveness: { suspected: report.suspected, failed: report.failed } };
  }

  private fromDecision(decision: FrameDecision): BiometricResult {
    switch (decision.kind) {
      case 'match':
        this.counters.faceMatches++;
        return { kind: 'match', personId: decision.personId, score: round(decision.score) };
      case 'no_match':
        this.counters.faceNoMatches++;
        return { kind: 'no_match', score: round(decision.score) };
      case 'bad_capture':
      case 'pending':
        return { kind: 'pending' };
    }
  }

  private identifyPalm(presentation: PalmPresentation): BiometricResult {
    this.counters.palmPresentations++;
    if (this.palm === null) return this.count({ kind: 'bad_capture', reason: 'palm_unavailable' });
    const decision = this.palm.identify(presentation.vector, presentation.quality);
    switch (decision.kind) {
      case 'match':
        this.counters.palmMatches++;
        return { kind: 'match', personId: decision.personId, score: round(decision.score) };
      case 'no_match':
        return { kind: 'no_match', score: round(decision.score) };
      case 'bad_capture':
        this.log.debug({ reader: presentation.readerId, detail: decision.detail }, 'palm capture refused');
        return this.count({ kind: 'bad_capture', reason: decision.reason });
    }
  }

  /** Reports a face capture problem once per cool-down per reader; otherwise stays pending. */
  private badCapture(presentation: FacePresentation, reason: string): BiometricResult {
    const last = this.lastReportMs.get(presentation.readerId);
    if (last !== undefined && presentation.monoMs - last < this.faceOptions.badCaptureReportMs) {
      this.counters.badCaptures[reason] = (this.counters.badCaptures[reason] ?? 0) + 1;
      return { kind: 'pending' };
    }
    this.lastReportMs.set(presentation.readerId, presentation.monoMs);
    return this.count({ kind: 'bad_capture', reason });
  }

  private count(result: Extract<BiometricResult, { kind: 'bad_capture' }>): BiometricResult {
    this.counters.badCaptures[result.reason] = (this.counters.badCaptures[result.reason] ?? 0) + 1;
    return result;
  }

  private deciderFor(readerId: string): MultiFrameDecider {
    let decider = this.deciders.get(readerId);
    if (decider === undefined) {
      decider = new MultiFrameDecider(this.faceOptions);
      this.deciders.set(readerId, decider);
    }
    return decider;
  }
}

/** Scores go into events: four decimals are plenty and keep the log readable. */
function round(score: number): number {
  return Math.round(score * 10_000) / 10_000;
}
