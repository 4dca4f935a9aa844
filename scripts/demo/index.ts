// The demo launcher's public face (`npm start` runs main.ts): what tests use to set up a hub the
// way the demo does.
export { ensureDeviceToken, seedHubRoster, type HubAdmin } from './hub-setup.js';
export { listeningPort } from './processes.js';
