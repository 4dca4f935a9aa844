// sync/'s public face for the kiosk: the store and the sync client. The reference hub is a
// separate program (hub/, `npm run hub`), kept out of here so the kiosk never loads it.
export * from './store/index.js';
export * from './client/index.js';
