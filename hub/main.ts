// `npm run hub` runs a one-school hub on SQLite in ./var with no flags. Options:
//   --database URL|FILE   postgres://user@host/db for PostgreSQL; a path or sqlite:PATH for SQLite
//                         (else ESIK_HUB_DATABASE_URL, else $ESIK_HUB_STATE_DIR/hub.db, else ./var/hub.db)
//   --db FILE             the same, kept for existing scripts
//   --port N [--host H] [--tls-cert F --tls-key F]
//   --pool-size N         PostgreSQL connections of the hub's main pool (default 10); the canteen
//                         ledger, library and notifier keep small pools of their own, each named
//                         in pg_stat_activity (esik-hub-canteen, -library, -notify)
//   --retention-months N  events kept for N whole months before the current one, then removed
//                         (default 12, or ESIK_HUB_RETENTION_MONTHS; 0 keeps everything): retention.ts
// The admin token comes from --admin-token-file or ESIK_HUB_ADMIN_TOKEN, never from the command
// line; with neither, one is made once in a 0600 file beside the database and its path printed.
// The payment provider's top-up webhook is served when ESIK_HUB_CANTEEN_WEBHOOK_SECRET_FILE names a
// file holding its Standard Webhooks secret (whsec_...); a file, so the secret is in no process list.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { adminTokenFromFile, databaseLocation, defaultAdminTokenFile } from './hub-config.js';
import { openHubStorage } from './open-storage.js';
import { canteenFeed, notifierFromEnv } from './notify/index.js';
import { ledgerConfigFromEnv, mealFolderOptionsFromEnv, openCanteenLedger, openCanteenMeals, personAccount } from './canteen/index.js';
import { privacyOptionsFromEnv } from './privacy/index.js';
import { loanFolderOptionsFromEnv, openLibrary } from './library/index.js';
import { DEFAULT_RETENTION, EventRetention } from './retention.js';
import { KioskErasureFolder } from './kiosk-erasures.js';
import { buildHub } from './server.js';
import { closeWithin } from '../lib/index.js';

interface HubCliOptions {
  database?: string;
  db?: string;
  port: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  adminTokenFile?: string;
  readerTokenFile?: string;
  poolSize: string;
  retentionMonths: string;
}

async function secret(file: string | undefined, envName: string): Promise<string | null> {
  if (file) return (await readFile(file, 'utf8')).trim();
  return process.env[envName]?.trim() || null;
}

async function adminToken(opts: HubCliOptions, location: string, logger: Logger): Promise<string> {
  const given = await secret(opts.adminTokenFile, 'ESIK_HUB_ADMIN_TOKEN');
  if (given) return given;
  const file = defaultAdminTokenFile(location, process.env);
  const { token, created } = await adminTokenFromFile(file);
  logger.info({ file }, created ? 'made an admin token (keep this file private)' : 'admin token from file');
  // Printed whatever the log level: the operator needs to know where the token is.
  if (created) process.stderr.write(`esik-hub: new admin token in ${file}\n`);
  return token;
}

function parseOptions(): HubCliOptions {
  const program = new Command('esik-hub')
    .option('--database <url>', 'postgres:// URL, or a SQLite file / sqlite: URL (else ESIK_HUB_DATABASE_URL, else ./var/hub.db)')
    .option('--db <file>', 'SQLite database file (same as --database FILE)')
    .option('--port <n>', 'TCP port (0 = any free port)', '8443')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--tls-cert <file>', 'PEM certificate (with --tls-key: serve HTTPS)')
    .option('--tls-key <file>', 'PEM private key')
    .option('--admin-token-file <file>', 'file holding the admin token (else ESIK_HUB_ADMIN_TOKEN, else one made beside the database)')
    .option('--reader-token-file <file>', 'file holding the read-only events token (else ESIK_HUB_READER_TOKEN)')
    .option('--pool-size <n>', 'PostgreSQL connections per hub process', '10')
    .option('--retention-months <n>', 'whole months of events kept before the current one (0 = keep all)', process.env.ESIK_HUB_RETENTION_MONTHS ?? String(DEFAULT_RETENTION.months))
    .parse();
  return program.opts<HubCliOptions>();
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] });
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  const tls = opts.tlsCert && opts.tlsKey ? { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) } : undefined;
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${opts.port}`);
  const location = databaseLocation(opts, process.env);
  const token = await adminToken(opts, location, logger);

  const poolSize = Number(opts.poolSize);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw new Error(`invalid --pool-size ${opts.poolSize}`);
  const retentionMonths = Number(opts.retentionMonths);
  if (!Number.isInteger(retentionMonths) || retentionMonths < 0 || retentionMonths > 1200) throw new Error(`invalid --retention-months ${opts.retentionMonths}`);
  const storage = await openHubStorage(location, logger.child({ ns: 'hub-db' }), { poolSize });
  const retention = new EventRetention(storage, { ...DEFAULT_RETENTION, months: retentionMonths }, logger.child({ ns: 'retention' }));
  // People erased at a kiosk: the hub drops its template copies so no kiosk gets them back.
  const kioskErasures = new KioskErasureFolder(storage, logger.child({ ns: 'kiosk-erasures' }));
  // The canteen ledger (hub/canteen), on its own connection to the same database.
  const canteen = await openCanteenLedger(location, logger.child({ ns: 'canteen' }), ledgerConfigFromEnv(process.env));
  // The tills' meals folded into the ledger and the meals table, double free meals flagged.
  const meals = await openCanteenMeals(location, storage, canteen.ledger, logger.child({ ns: 'canteen-meals' }), mealFolderOptionsFromEnv(process.env));
  // The school library (hub/library): catalogue routes and the fold of the desks' loans into its tables.
  const library = await openLibrary(location, storage, logger.child({ ns: 'library' }), loanFolderOptionsFromEnv(process.env));
  // The parents' notifier (hub/notify), when the environment configures it (ESIK_HUB_NOTIFY, a bot token):
  // passages, and the canteen's meals and low balances and the library's overdue books.
  const notifier = await notifierFromEnv(storage, location, logger.child({ ns: 'notify' }), process.env, {
    canteen: canteenFeed(meals.store, canteen.ledger, personAccount), library: library.store,
  });
  const topUpWebhookSecret = await secret(process.env.ESIK_HUB_CANTEEN_WEBHOOK_SECRET_FILE || undefined, 'ESIK_HUB_CANTEEN_WEBHOOK_SECRET');
  const app = await buildHub({ storage, logger, adminToken: token, readerToken: await secret(opts.readerTokenFile, 'ESIK_HUB_READER_TOKEN'), tls, canteen: { ledger: canteen.ledger, meals: meals.store, settings: meals.settings, topUpWebhookSecret }, library: { store: library.store, folder: library.folder }, console: {}, privacy: privacyOptionsFromEnv(process.env), ...(notifier ? { notify: { notifier, allowLoopbackHttpWebhooks: process.env.ESIK_HUB_NOTIFY_LOOPBACK_HTTP === '1' } } : {}) });
  await app.listen({ port, host: opts.host });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  // Printed whatever the log level: scripts and tests started with --port 0 read the port from it.
  process.stdout.write(`${JSON.stringify({ port: bound, tls: Boolean(tls), msg: 'hub listening' })}\n`);
  notifier?.start();
  library.folder.start();
  meals.folder.start();
  retention.start();
  kioskErasures.start();

  const shutdown = (): void => {
    closeWithin(app.server, () => app.close())
      .then(() => retention.stop())
      .then(() => kioskErasures.stop())
      .then(() => notifier?.stop())
      .then(() => notifier?.store.close())
      .then(() => meals.close())
      .then(() => canteen.close())
      .then(() => library.close())
      .then(() => storage.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'hub shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
