// What `esik update` / `esik rollback` need around the Updater: the health URL from the kiosk's
// configuration, and an audit sink that records through the running daemon (the admin socket) or,
// when the daemon is down, straight into the store.
import type { Logger } from 'pino';
import { adminRequest, DaemonNotRunningError } from '../admin/index.js';
import type { LoadedConfig } from '../config/index.js';
import { withWritableOfflineStore } from '../cli/offline-store.js';
import type { AuditSink } from './updater.js';
import { auditEvent } from '../system-events.js';

export function healthUrlOf(loaded: LoadedConfig): string {
  const { host, port } = loaded.config.health;
  // A wildcard bind is reachable on loopback; the updater always asks locally.
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}/health`;
}

export function daemonAuditSink(loaded: LoadedConfig, socketPath: string, logger: Logger): AuditSink {
  return async (action, detail) => {
    const actor = typeof detail.actor === 'string' ? detail.actor : 'technician';
    try {
      await adminRequest(socketPath, 'POST', '/v1/update/audit', { actor, action, detail });
    } catch (error) {
      if (!(error instanceof DaemonNotRunningError)) throw error;
      logger.debug({ action }, 'daemon not running: audit recorded in the store directly');
      await withWritableOfflineStore(loaded, (store) =>
        store.events.append(auditEvent(action, { ...detail, actor, action })),
      );
    }
  };
}
