// Admin routes of the notifier (the console will call GuardianLinks directly). Guarded by the admin
// token in onRequest, before a body is read, like the hub's other admin routes. A code and a webhook
// secret are shown once, in the response that made them; the hub keeps only the code's hash.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { wireId } from '../../protocol/index.js';
import { bearerToken } from '../auth.js';
import { HubError } from '../errors.js';
import type { HubAuth } from '../hub-auth.js';
import { LANGUAGES, type Language } from './model.js';
import type { Notifier } from './notifier.js';
import { newWebhookSecret, validateWebhookUrl } from './webhook.js';

export interface NotifyRouteOptions {
  notifier: Notifier;
  auth: HubAuth;
  adminToken: string;
  allowLoopbackHttpWebhooks: boolean;
}

const guardianInput = z.object({ personId: wireId, language: z.enum(LANGUAGES as [Language, ...Language[]]).default('ru') });
const guardianParams = z.object({ id: z.uuid() });
const webhookInput = z.object({ url: z.string().max(2048).nullable() });
const outboxQuery = z.object({ state: z.enum(['pending', 'claimed', 'sending', 'sent', 'failed', 'in_doubt', 'cancelled']).optional() });

export function registerNotifyRoutes(app: FastifyInstance, options: NotifyRouteOptions): void {
  const { notifier } = options;
  const onRequest = (request: FastifyRequest): Promise<void> => {
    options.auth.secret(bearerToken(request.headers.authorization), [options.adminToken], request.ip);
    return Promise.resolve();
  };

  app.post('/v1/admin/notify/guardians', { onRequest }, async (request, reply) => {
    const input = guardianInput.parse(request.body ?? {});
    const made = await notifier.links.addGuardian(input.personId, input.language);
    if (!made) throw new HubError(404, 'not_found', `no person ${input.personId}`);
    return reply.code(201).send(made);
  });

  app.get('/v1/admin/notify/people/:id/guardians', { onRequest }, async (request) => {
    const { id } = z.object({ id: wireId }).parse(request.params);
    const guardians = await notifier.store.guardiansOf(id);
    // Secrets stay in the database: the list says which channels are set, not their keys.
    return { guardians: guardians.map((g) => ({ id: g.id, language: g.language, telegram: g.telegramChat !== null, webhook: g.webhookUrl, unlinked: g.unlinkedMs !== null })) };
  });

  app.post('/v1/admin/notify/guardians/:id/codes', { onRequest }, async (request) => {
    const { id } = guardianParams.parse(request.params);
    const guardian = await notifier.store.guardian(id);
    if (!guardian || guardian.unlinkedMs !== null) throw new HubError(404, 'not_found', `no linked guardian ${id}`);
    return notifier.links.issueCode(id);
  });

  // A link to the parents' page for one guardian (the console or a letter; a linked chat asks the bot
  // with /page). The token is shown once, here; the hub keeps its hash.
  app.post('/v1/admin/notify/guardians/:id/page-link', { onRequest }, async (request, reply) => {
    const { id } = guardianParams.parse(request.params);
    const guardian = await notifier.store.guardian(id);
    if (!guardian || guardian.unlinkedMs !== null) throw new HubError(404, 'not_found', `no linked guardian ${id}`);
    return reply.code(201).send(await notifier.pageLinks.issue([id]));
  });

  app.delete('/v1/admin/notify/guardians/:id', { onRequest }, async (request) => {
    const { id } = guardianParams.parse(request.params);
    if (!(await notifier.links.unlink(id))) throw new HubError(404, 'not_found', `no linked guardian ${id}`);
    return { unlinked: true };
  });

  app.put('/v1/admin/notify/guardians/:id/webhook', { onRequest }, async (request) => {
    const { id } = guardianParams.parse(request.params);
    const { url } = webhookInput.parse(request.body ?? {});
    if (url === null) {
      if (!(await notifier.store.setWebhook(id, null, null))) throw new HubError(404, 'not_found', `no linked guardian ${id}`);
      return { webhook: null };
    }
    const valid = validateWebhookUrl(url, options.allowLoopbackHttpWebhooks);
    if ('error' in valid) throw new HubError(400, 'bad_request', valid.error);
    const secret = newWebhookSecret();
    if (!(await notifier.store.setWebhook(id, valid.url, secret))) throw new HubError(404, 'not_found', `no linked guardian ${id}`);
    return { webhook: valid.url, secret };
  });

  // The operator's decision for a row the outbox would not settle alone: a webhook given up on, or a
  // Telegram message in doubt that the guardian says never came.
  app.post('/v1/admin/notify/outbox/:key/requeue', { onRequest }, async (request) => {
    const { key } = z.object({ key: z.string().min(1).max(300) }).parse(request.params);
    if (!(await notifier.store.requeue(key, Date.now()))) throw new HubError(409, 'conflict', 'only a failed or in_doubt row can be sent again');
    notifier.poke();
    return { requeued: true };
  });

  app.get('/v1/admin/notify/outbox', { onRequest }, async (request) => {
    const { state } = outboxQuery.parse(request.query);
    const rows = await notifier.store.outbox(state);
    return { rows: rows.map((r) => ({ key: r.key, channel: r.channel, state: r.state, attempts: r.attempts, lastError: r.lastError, sentMs: r.sentMs })) };
  });
}
