// The hub's face engine (enrolment from the console): biometric/ on a lazily started worker thread.
export { HubFaceEngine, type EnrolmentFaceEngine, type HubFaceEngineOptions } from './face-engine.js';
