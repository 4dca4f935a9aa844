// Small helpers every program of esik shares (kiosk, board thread, hub); nothing here knows about doors.
export { closeWithin, DEFAULT_CLOSE_GRACE_MS } from './http-close.js';
