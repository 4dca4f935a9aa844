export { registerAdminRoutes } from './routes.js';
export { actorFields, adminActor, audit, type AdminActor } from './audit.js';
export { listenAdmin, socketInUse } from './socket.js';
export { adminRequest, AdminRequestError, DaemonNotRunningError } from './client.js';
export { collectStatus, diskFree } from './status.js';
export { EnrolmentRefused, encodeVector, enrolTemplates, enrolmentRefusal } from './enrol.js';
export type { EnrolRequest } from './enrol.js';
export { FACE_BODY_LIMIT_BYTES, FaceImageBody, MAX_FACE_IMAGE_BYTES, handleFaceRequest } from './simulate-face.js';
export { kioskEnrolTarget } from './routes.js';
