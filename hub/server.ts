// The reference hub: a fastify server over a HubStorage. HTTPS when given a certificate and key.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAdminRoutes, tokenGuard } from './admin-routes.js';
import { CANTEEN_CONSOLE_KIT, CanteenTopUps, registerCanteenSettingsRoutes, registerLedgerRoutes, registerTopUpWebhook, type CanteenLedger, type CanteenSettingsStore, type MealStore } from './canteen/index.js';
import { registerConsole, type ConsoleOptions } from './console/index.js';
import { registerDeviceRoutes } from './device-routes.js';
import { HubError, hubErrorHandler } from './errors.js';
import { HubAuth, ScryptTokenVerifier, type AuthLimits, type TokenVerifier } from './hub-auth.js';
import { registerJsonBodyParser } from './json-body.js';
import { registerLibraryRoutes, type LibraryStore, type LoanFolder } from './library/index.js';
import { HubMetrics } from './metrics.js';
import { registerNotifyRoutes, registerParentPage, type MealReader, type Notifier, type ParentPageLimits } from './notify/index.js';
import { privacyServiceFor, registerPrivacyRoutes, type PrivacyServiceOptions } from './privacy/index.js';
import type { HubStorage } from './storage.js';
import { limitConnections, shortenHeadersTimeout } from '../lib/index.js';

export interface HubOptions {
  storage: HubStorage;
  logger: Logger;
  adminToken: string;
  /** Read-only token for the events API (a parent-notification service); null = admin only. */
  readerToken?: string | null;
  tls?: { cert: string | Buffer; key: string | Buffer };
  now?: () => number;
  /** Default: scrypt on a dedicated worker thread. */
  tokenVerifier?: TokenVerifier;
  authLimits?: Partial<AuthLimits>;
  /** The parents' notifier (hub/notify): its admin routes are served when given; it is started by its owner. */
  notify?: { notifier: Notifier; allowLoopbackHttpWebhooks?: boolean; pageLimits?: Partial<ParentPageLimits>; meals?: MealReader | null };
  /** Serve the school console under /console (hub/console); off unless given. */
  console?: ConsoleOptions;
  /** Data-subject requests (hub/privacy): deadlines and the school's time zone; always served. */
  privacy?: Pick<PrivacyServiceOptions, 'deadlines' | 'timeZone'>;
  /** The canteen ledger (hub/canteen): its admin routes are served when given; with the meals and settings, the settings' routes and the tills' snapshot too. */
  canteen?: {
    ledger: CanteenLedger; meals?: MealStore; settings?: CanteenSettingsStore;
    /** The payment provider's Standard Webhooks secret: POST /v1/canteen/topups/webhook is served only with one. */
    topUpWebhookSecret?: string | null;
  };
  /** The school library (hub/library): catalogue and loan routes when given; the folder is started by its owner. */
  library?: { store: LibraryStore; folder: LoanFolder };
}

export async function buildHub(options: HubOptions): Promise<FastifyInstance> {
  if (options.adminToken.length < 16) throw new Error('the admin token must be at least 16 characters');
  const app = Fastify({
    loggerInstance: options.logger.child({ ns: 'hub' }),
    // Default request bodies are small; the event route raises its own limit to 1 MiB.
    bodyLimit: 256 * 1024,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  // Like the kiosk's ports (lib/connection-limits.ts), wider: a district hub serves many kiosks,
  // some of them behind one NAT address.
  limitConnections(app.server, { perAddress: 128, total: 4096 });
  shortenHeadersTimeout(app.server);
  app.setErrorHandler(hubErrorHandler);
  registerJsonBodyParser(app);
  // An unknown route is refused before its body is read, like an unauthenticated one.
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.is404 ? new HubError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`, { connection: 'close' }) : undefined);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` });
  });
  const now = options.now ?? Date.now;
  const verifier = options.tokenVerifier ?? new ScryptTokenVerifier();
  const auth = new HubAuth({ storage: options.storage, verifier, now, limits: options.authLimits });
  await auth.start();
  app.addHook('onClose', () => auth.stop());
  const metrics = new HubMetrics(options.storage);
  metrics.register(app, tokenGuard(auth, [options.adminToken, options.readerToken ?? null]));
  const privacy = await privacyServiceFor(options.storage, { ...options.privacy, now });
  registerDeviceRoutes(app, {
    storage: options.storage, auth, now, onPush: (response) => metrics.countPush(response),
    ...(privacy ? { onRosterPull: (deviceId: string, cursor: number) => privacy.rosterPulled(deviceId, cursor) } : {}),
  });
  if (privacy) registerPrivacyRoutes(app, { service: privacy, auth, adminToken: options.adminToken });
  registerAdminRoutes(app, { storage: options.storage, auth, adminToken: options.adminToken, readerToken: options.readerToken ?? null, now });
  app.get('/v1/health', () => ({ ok: true }));
  if (options.notify) {
    const { notifier } = options.notify;
    registerNotifyRoutes(app, { notifier, allowLoopbackHttpWebhooks: options.notify.allowLoopbackHttpWebhooks ?? false, auth, adminToken: options.adminToken });
    // The parents' page (/parent/<token>): its links come from the notifier, data requests go to privacy.
    await registerParentPage(app, {
      links: notifier.pageLinks, store: notifier.store, storage: options.storage, privacy, library: options.library?.store ?? null, meals: options.notify.meals ?? options.canteen?.meals ?? null, timeZone: notifier.timeZone, now, limits: options.notify.pageLimits,
    });
  }
  if (options.canteen) registerLedgerRoutes(app, { ledger: options.canteen.ledger, meals: options.canteen.meals, storage: options.storage, auth, adminToken: options.adminToken, now });
  if (options.canteen?.meals && options.canteen.settings) {
    await registerCanteenSettingsRoutes(app, { settings: options.canteen.settings, ledger: options.canteen.ledger, meals: options.canteen.meals, storage: options.storage, auth, adminToken: options.adminToken, now });
  }
  const topUps = options.canteen ? new CanteenTopUps(options.canteen.ledger, options.storage, now) : null;
  if (topUps && options.canteen?.topUpWebhookSecret) await registerTopUpWebhook(app, { topUps, secret: options.canteen.topUpWebhookSecret, now });
  // The console's canteen pages need the meals and settings as well as the ledger.
  const consoleCanteen = topUps && options.canteen?.meals && options.canteen.settings ? { ledger: options.canteen.ledger, meals: options.canteen.meals, settings: options.canteen.settings, topUps, kit: CANTEEN_CONSOLE_KIT } : null;
  if (options.library) await registerLibraryRoutes(app, { library: options.library.store, folder: options.library.folder, auth, adminToken: options.adminToken, now, storage: options.storage });
  if (options.console) await registerConsole(app, { ...options.console, storage: options.storage, hasher: verifier, now, secureCookies: Boolean(options.tls), privacy, library: options.library?.store ?? null, canteen: consoleCanteen });
  await app.ready();
  return app;
}
