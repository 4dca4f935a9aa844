// Public face of the door layer.
export { DoorController, DoorRefusedError, RELOCK_GRACE_MS, type DoorControllerOptions } from './controller.js';
export { DoorConfigSchema, type DoorConfig, type DoorConfigInput } from './config.js';
export { createDoors, DoorSet, type DoorParts } from './build.js';
export type { Direction, DoorAlarm, DoorEvent, DoorEvents, DoorEventType, DoorSnapshot } from './types.js';
