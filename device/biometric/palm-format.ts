// Which palm vectors this kiosk matches: the reader's feature format (`biometric.palm.algo`) and
// vector length (the `hid-palm` reader's `dimension`; the simulated reader's 128 otherwise). The
// gallery, the simulator and enrolment must all agree on it, so it is worked out in one place.
import type { KioskConfig } from '../config/index.js';

export const DEFAULT_PALM_DIMENSIONS = 128;

export interface PalmFormat {
  algo: string;
  dimensions: number;
}

/** The palm format of a kiosk whose config has a biometric section; null when biometrics are off. */
export function palmFormat(config: KioskConfig): PalmFormat | null {
  return config.biometric === undefined ? null : palmFormatOf(config.biometric, config.readers);
}

export function palmFormatOf(biometric: NonNullable<KioskConfig['biometric']>, readers: KioskConfig['readers']): PalmFormat {
  let dimensions = DEFAULT_PALM_DIMENSIONS;
  for (const reader of readers) {
    if (reader.driver === 'hid-palm' && reader.dimension !== undefined) dimensions = reader.dimension;
  }
  return { algo: biometric.palm.algo, dimensions };
}
