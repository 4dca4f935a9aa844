export { ConfigSchema, KIOSK_FACE_DETECTOR, faceDetectorOptions, DoorConfigSchema, ReaderConfigSchema, RelayConfigSchema, InputConfigSchema, type KioskConfig, type DoorConfig, type ReaderConfig } from './schema.js';
export { ConfigError, loadConfig, validateConfig, applyEnvOverrides, formatPath, databasePath, type LoadedConfig } from './load.js';
export { DEFAULT_FACE_POLICY } from './schema.js';
export { presentationAttackActions } from './access-schema.js';
