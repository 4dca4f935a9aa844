// Public face of the door layer.
export { DoorController, DoorRefusedError, RELOCK_GRACE_MS, type DoorControllerOptions } from './controller.js';
export { DoorConfigSchema, DoorModeSchema, type DoorConfig, type DoorConfigInput, type DoorMode } from './config.js';
export { createDoors, DoorSet, type DoorParts } from './build.js';
export type { Direction, DoorAlarm, DoorEvent, DoorEventType, DoorSnapshot } from './types.js';
