// Which palm vectors this kiosk matches: the reader's feature format (`biometric.palm.algo`) and
// vector length (the `hid-palm` reader's `dimension`; the simulated reader's 128 otherwise). The
// gallery, the simulator and enrolment must all agree on it, so it is worked out in one place.
import type { KioskConfig } from '../config/index.js';

export const DEFAULT_PALM_DIMENSIONS = 128;

export interface PalmFormat {
  algo: string;
  dimensions: number;
}

export function palmFormat(config: KioskConfig): PalmFormat | null {
  if (config.biometric === undefined) return null;
  let dimensions = DEFAULT_PALM_DIMENSIONS;
  for (const reader of config.readers) {
    if (reader.driver === 'hid-palm' && reader.dimension !== undefined) dimensions = reader.dimension;
  }
  return { algo: config.biometric.palm.algo, dimensions };
}
