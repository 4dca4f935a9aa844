// `esik key rotate` on both paths: through the running daemon (admin route, the daemon owns the
// store) or directly on the store when the daemon is down. Either way the store re-seals every
// field in one transaction (store.rekey), the key file is switched atomically (rename of the
// 0600 `.next` file), and an `audit` event records who rotated to which key id — never the key.
import { z } from 'zod';
import type { Store } from '../../sync/store/index.js';
import type { KioskServices } from '../services.js';
import { adminActor, audit } from '../admin/index.js';
import { keyFileOf } from '../kiosk/index.js';
import { rotateTemplateKey } from './template-key.js';
import { auditEvent } from '../system-events.js';

export interface KeyRotationResult {
  keyId: string;
  rows: number;
}

const RotateBody = z.object({ actor: z.string().min(1).max(64) });

/** Offline path: the caller holds the only handle on the store. */
export async function rotateKeyOnStore(store: Store, keyFile: string, actor: string): Promise<KeyRotationResult> {
  const result = await rotateTemplateKey(store, keyFile);
  await store.events.append(auditEvent('key.rotate', { actor, action: 'key.rotate', keyId: result.keyId, rows: result.rows, via: 'store' }));
  return result;
}

/** Daemon path: POST /v1/key/rotate on the admin socket. */
export function registerKeyRoutes(services: KioskServices): void {
  services.admin.post('/v1/key/rotate', async (request, reply) => {
    const body = RotateBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ message: z.prettifyError(body.error) });
    const result = await rotateTemplateKey(services.store, keyFileOf(services.config));
    await audit(services, adminActor(request, body.data.actor), 'key.rotate', { keyId: result.keyId, rows: result.rows, via: 'daemon' });
    return result;
  });
}
