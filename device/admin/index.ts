export { registerAdminRoutes, audit } from './routes.js';
export { listenAdmin, socketInUse } from './socket.js';
export { adminRequest, AdminRequestError, DaemonNotRunningError } from './client.js';
export { collectStatus, diskFree } from './status.js';
