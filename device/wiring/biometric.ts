// Face and palm identification plugged into the kiosk. The galleries are filled from the roster
// cache at once (milliseconds) and the identifier is registered immediately, so palm works from the
// start; the face models load in the background, off the door's path, and card decisions never
// wait for them. `esik status` shows the backend, the load state and the gallery sizes.
import type { Logger } from 'pino';
import { FlatTemplateMatcher, PalmIdentifier } from '../../biometric/index.js';
import type { FaceEngine } from '../../biometric/index.js';
import { GallerySync, KioskBiometricIdentifier, type FaceDecisionOptions } from '../biometric/index.js';
import { FaceLivenessStage, livenessSettingsByDoor } from '../biometric/index.js';
import { type FaceEngineHolder, WorkerFaceEngine } from '../biometric/index.js';
import { palmFormatOf } from '../biometric/index.js';
import { faceDetectorOptions, type KioskConfig } from '../config/index.js';
import type { KioskServices } from '../services.js';

/** The face descriptor's length (dlib ResNet via face-api). */
export const FACE_DIMENSIONS = 128;

export interface BiometricWiringOptions {
  palm?: { algo?: string; dimensions?: number; minQuality?: number };
  face?: Partial<Pick<FaceDecisionOptions, 'unknownCooldownMs' | 'repeatCooldownMs' | 'badCaptureReportMs'>>;
  /** Loads the face engine; defaults to biometric/face's createFaceEngine with the configured backend. */
  loadFaceEngine?: (logger: Logger) => Promise<FaceEngine>;
  /** The face model id the gallery holds; defaults to biometric/face's FACE_ALGO. */
  faceAlgo?: string;
}

export type FaceEngineState = 'loading' | 'ready' | 'failed' | 'closed';

export interface BiometricHandle {
  identifier: KioskBiometricIdentifier;
  faceMatcher: FlatTemplateMatcher;
  palm: PalmIdentifier;
  gallery: GallerySync;
  /** Resolves when the face engine is ready (or has failed: see status). */
  faceEngineLoaded: Promise<void>;
}

type BiometricConfig = NonNullable<KioskConfig['biometric']>;

/** The face models on their own worker thread (device/biometric/face-worker.ts says why). */
/** The liveness stage when some door checks faces for presentation attacks; null otherwise. */
function presentationAttackStage(config: BiometricConfig): FaceLivenessStage | null {
  const pad = config.presentationAttack;
  if (pad === undefined || Object.values(pad.doors).every((door) => door.action === 'off')) return null;
  return new FaceLivenessStage({ settingsFor: livenessSettingsByDoor(pad), windowMs: pad.windowMs, maxFrames: pad.motion.maxFrames });
}

function defaultLoader(config: BiometricConfig): (logger: Logger) => Promise<FaceEngine> {
  return (logger) => WorkerFaceEngine.start({ backend: config.backend, modelDir: config.modelDir, detector: faceDetectorOptions(config.faceDetector), logger });
}

export async function attachBiometrics(services: KioskServices, options: BiometricWiringOptions = {}): Promise<BiometricHandle | null> {
  const log = services.logger.child({ ns: 'biometric-wiring' });
  const config = services.config.biometric;
  if (config === undefined) {
    services.addStatus('biometric', () => ({ enabled: false }));
    log.info('no biometric section in config: face and palm identification off');
    return null;
  }
  const faceAlgo = options.faceAlgo ?? (await import('../../biometric/face/index.js')).FACE_ALGO;
  const faceMatcher = new FlatTemplateMatcher({ modality: 'face', algo: faceAlgo, dimensions: FACE_DIMENSIONS });
  const format = palmFormatOf(config, services.config.readers);
  const palm = new PalmIdentifier({
    algo: options.palm?.algo ?? format.algo,
    dimensions: options.palm?.dimensions ?? format.dimensions,
    policy: config.palm,
    minQuality: options.palm?.minQuality ?? config.palm.minQuality,
  });
  const gallery = new GallerySync(services.roster, new Map([['face', faceMatcher], ['palm', palm.matcher]]), services.logger);
  gallery.start();
  const identifier = new KioskBiometricIdentifier(
    faceMatcher,
    palm,
    {
      policy: config.face,
      unknownCooldownMs: options.face?.unknownCooldownMs ?? 5000,
      repeatCooldownMs: options.face?.repeatCooldownMs ?? 3000,
      badCaptureReportMs: options.face?.badCaptureReportMs ?? 5000,
    },
    services.logger,
    presentationAttackStage(config),
  );
  services.kiosk.setBiometricIdentifier(identifier);

  const slot = new FaceEngineSlot(identifier, services.faceEngine, log);
  const faceEngineLoaded = slot.load(options.loadFaceEngine ?? defaultLoader(config), services.logger);
  services.addStatus('biometric', () => ({
    enabled: true,
    backend: slot.engine?.backend ?? null,
    face: { ...slot.status(), algo: faceAlgo, ...gallery.counts().face },
    palm: { algo: palm.matcher.algo, dimensions: palm.matcher.dimensions, ...gallery.counts().palm },
    stats: identifier.stats(),
  }));
  services.onShutdown(async () => {
    gallery.stop();
    services.kiosk.setBiometricIdentifier(null);
    await slot.close();
  });
  return { identifier, faceMatcher, palm, gallery, faceEngineLoaded };
}

/** The face engine's life: loading in the background, then ready (or failed), then closed. */
class FaceEngineSlot {
  state: FaceEngineState = 'loading';
  engine: FaceEngine | null = null;
  private failure: string | null = null;
  private loadMs: number | null = null;

  constructor(
    private readonly identifier: KioskBiometricIdentifier,
    /** What the rest of the kiosk (enrolment from the simulator page) reads the engine from. */
    private readonly holder: FaceEngineHolder,
    private readonly log: Logger,
  ) {}

  async load(loader: (logger: Logger) => Promise<FaceEngine>, logger: Logger): Promise<void> {
    const started = performance.now();
    try {
      const engine = await loader(logger);
      // Shut down while the models were loading: release the engine at once.
      if (this.state === 'closed') return await engine.close();
      this.identifier.setFaceEngine(engine);
      this.engine = engine;
      this.holder.set(engine);
      this.state = 'ready';
      this.loadMs = Math.round(performance.now() - started);
      this.log.info({ backend: engine.backend, ms: this.loadMs }, 'face identification ready');
    } catch (error) {
      if (this.state === 'closed') return;
      this.state = 'failed';
      this.failure = error instanceof Error ? error.message : String(error);
      // Cards and palms keep working; face frames are reported as bad captures (face_engine_unavailable).
      this.log.error({ err: error }, 'face engine failed to load: face identification off');
    }
  }

  status(): { state: FaceEngineState; loadMs: number | null; failure: string | null } {
    return { state: this.state, loadMs: this.loadMs, failure: this.failure };
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.state = 'closed';
    this.engine = null;
    this.holder.set(null);
    this.identifier.setFaceEngine(null);
    if (engine !== null) await engine.close();
  }
}
