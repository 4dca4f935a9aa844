// The kiosk's face engine as the rest of the kiosk sees it. The composition root creates the holder
// before any wiring, the biometric wiring fills it once the models have loaded (and empties it at
// shutdown), and enrolment from the simulator page reads it: neither needs the other to have run first.
import type { FaceEngine } from '../../biometric/index.js';

export class FaceEngineHolder {
  private engine: FaceEngine | null = null;

  /** The loaded engine; null while loading, after a failed load, with biometrics off and once closed. */
  current(): FaceEngine | null {
    return this.engine;
  }

  set(engine: FaceEngine | null): void {
    this.engine = engine;
  }
}
