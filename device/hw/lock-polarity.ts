// The one place that maps a lock state to a coil state and a coil state to a pin level. It lives in
// the relay layer (not the door) because relay drivers need the active-low half and the door needs
// the lock-type/contact half; both import this file, so the whole table is readable in one screen.
//
//   lock type     wants      lock power   contact NO coil   contact NC coil
//   fail-secure   unlocked   on           energised         released
//   fail-secure   locked     off          released          energised
//   fail-safe     unlocked   off          released          energised
//   fail-safe     locked     on           energised         released
//
// A fail-secure electric strike unlocks when powered; a fail-safe maglock unlocks when unpowered.
// An NC contact inverts (energising the coil *opens* the circuit), and an active-low relay board
// inverts once more at the pin (driving LOW switches the coil on).
import type { RelayWiring } from './types.js';

export type LockType = 'fail-secure' | 'fail-safe';
export type LockState = 'locked' | 'unlocked';
export type PinLevel = 0 | 1;

/** Whether the lock must be powered to reach `state`. */
export function lockPowered(lockType: LockType, state: LockState): boolean {
  const unlockNeedsPower = lockType === 'fail-secure';
  return state === 'unlocked' ? unlockNeedsPower : !unlockNeedsPower;
}

/** Coil state for the lock to reach `state` through a contact wired NO or NC. */
export function coilEnergisedFor(lockType: LockType, contact: RelayWiring['contact'], state: LockState): boolean {
  const powered = lockPowered(lockType, state);
  return contact === 'NO' ? powered : !powered;
}

/** Pin level that puts the coil in `energised` on a board that is active-high or active-low. */
export function pinLevelForCoil(energised: boolean, activeLow: boolean): PinLevel {
  return energised !== activeLow ? 1 : 0;
}

/** Inverse of pinLevelForCoil, for inputs: logical "active" from a raw pin level. */
export function activeFromPinLevel(level: number, activeLow: boolean): boolean {
  return (level !== 0) !== activeLow;
}

/** The full mapping: pin level for (lock type, contact, active-low, desired state). */
export function lockPinLevel(lockType: LockType, wiring: RelayWiring, state: LockState): PinLevel {
  return pinLevelForCoil(coilEnergisedFor(lockType, wiring.contact, state), wiring.activeLow);
}
