// The lobby board: what the kiosk wires up (server, routes, config) and the feed contract it implements.
export type { BoardArrival, BoardCounts, BoardFeed, BoardFeedEvents, BoardGroupCount, BoardSnapshot } from './feed.js';
export { BOARD_NAMESPACE, BOARD_SOCKET_SERVER_OPTIONS, createBoardServer } from './server.js';
export type { BoardServer, BoardServerOptions, DoorActivity } from './server.js';
export { registerBoardRoutes, defaultPublicDir } from './routes.js';
export { BoardThread } from './board-thread-host.js';
export type { BoardThreadOptions } from './board-thread-host.js';
export type { BoardRouteOptions } from './routes.js';
export { BoardTokens, isLoopback, type LoopbackPredicate } from './access.js';
export { boardConfigSchema, boardLimitsSchema } from './config.js';
export type { BoardConfig, BoardLimits } from './config.js';
export { BOARD_LANGUAGES, BOARD_LOCALES, boardLabels } from './i18n.js';
export type { BoardLabels, BoardLanguage } from './i18n.js';
export type { LcdConfig, MatrixConfig } from './config.js';
