// The kiosk's durable file writes are the shared ones (lib/durable-write.ts); this name stays for
// the kiosk's many importers.
export { fsyncPath as fsyncDirectory, safeSymlinkSwap, safeWriteFile } from '../../lib/index.js';
