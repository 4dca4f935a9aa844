// Data-subject requests (Law 94-V, issue 17): register, know, block, destroy, with each device's
// acknowledgement of the roster change. Wired by hub/server.ts.
export { PrivacyService, type PrivacyServiceOptions } from './service.js';
export { registerPrivacyRoutes, type PrivacyRouteOptions } from './routes.js';
export { privacyServiceFor, privacyStoreFor } from './store-for.js';
export { DEFAULT_DEADLINES, deadlineFor, isOverdue, newRequestSchema, type DeadlineSettings, type RequestKind, type StoredRequest } from './model.js';
export type { KnowExport, ExportItem } from './export.js';
export { privacyOptionsFromEnv } from './config.js';
