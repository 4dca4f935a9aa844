export * from './checks.js';
export * from './monitor.js';
export * from './server.js';
