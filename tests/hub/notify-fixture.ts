// A hub (fastify on port 0, SQLite or PostgreSQL) with the parents' notifier wired in, for the
// notify-*.test.ts files.
import type { FastifyInstance } from 'fastify';
import { PgHubStorage, SqliteHubStorage, buildHub, type HubOptions, type HubStorage } from '../../hub/index.js';
import { Notifier, PgNotifyStore, SqliteNotifyStore, DEFAULT_NOTIFIER_CONFIG, type MealReader, type NotifierConfig, type NotifyStore } from '../../hub/notify/index.js';
import { silentLogger, tempDir } from '../sync/helpers.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { silentNotifyLogger } from './notify-helpers.js';

export const ADMIN = 'admin-token-for-notify-tests-0123456789';

export interface NotifyDb {
  name: 'sqlite' | 'postgres';
  /** A fresh database: the hub's storage and the notifier's store over it, and how to open them again. */
  open(): Promise<{ storage: HubStorage; store: NotifyStore; reopen(): Promise<{ storage: HubStorage; store: NotifyStore }>; location: string }>;
  stop(): Promise<void>;
}

export async function notifyDb(name: 'sqlite' | 'postgres'): Promise<NotifyDb> {
  if (name === 'sqlite') {
    const dir = await tempDir('esik-notify-');
    let n = 0;
    const openAt = async (file: string) => ({ storage: await SqliteHubStorage.open(file), store: await SqliteNotifyStore.open(file) });
    return {
      name,
      async open() {
        const file = `${dir.dir}/hub-${++n}.db`;
        return { ...(await openAt(file)), reopen: () => openAt(file), location: file };
      },
      stop: () => dir.cleanup(),
    };
  }
  const server: TempPostgres = await startPostgres();
  const openAt = async (url: string) => {
    const storage = await PgHubStorage.open(url, silentLogger);
    const store = PgNotifyStore.open(url, silentLogger);
    await store.migrate();
    return { storage, store };
  };
  return {
    name,
    async open() {
      const url = await server.createDatabase();
      return { ...(await openAt(url)), reopen: () => openAt(url), location: url };
    },
    stop: () => server.stop(),
  };
}

export interface NotifyHub {
  app: FastifyInstance;
  url: string;
  notifier: Notifier;
  storage: HubStorage;
  store: NotifyStore;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** `served`: the school library and the canteen's meals served beside (the parents' page lists from them). */
export async function startNotifyHub(
  storage: HubStorage, store: NotifyStore, config: Partial<NotifierConfig>, served: { library?: HubOptions['library']; meals?: MealReader } = {},
): Promise<NotifyHub> {
  const notifier = new Notifier(storage, store, silentNotifyLogger, { ...DEFAULT_NOTIFIER_CONFIG, allowLoopbackHttpWebhooks: true, pollMs: 100, ...config });
  const app = await buildHub({
    storage, logger: silentLogger, adminToken: ADMIN, notify: { notifier, allowLoopbackHttpWebhooks: true, meals: served.meals ?? null }, ...(served.library ? { library: served.library } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  notifier.start();
  return {
    app, url, notifier, storage, store,
    async admin(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async close() {
      await notifier.stop();
      await app.close();
    },
  };
}
