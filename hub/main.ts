// `npm run hub -- --db FILE --port N [--host H] [--tls-cert F --tls-key F]`
// The admin token comes from --admin-token-file or ESIK_HUB_ADMIN_TOKEN, never from the command line.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { pino } from 'pino';
import { buildHub } from './server.js';
import { SqliteHubStorage } from './sqlite-storage.js';
import { closeWithin } from '../lib/index.js';

interface HubCliOptions {
  db: string;
  port: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  adminTokenFile?: string;
  readerTokenFile?: string;
}

async function secret(file: string | undefined, envName: string): Promise<string | null> {
  if (file) return (await readFile(file, 'utf8')).trim();
  return process.env[envName]?.trim() || null;
}

async function main(): Promise<void> {
  const program = new Command('esik-hub')
    .requiredOption('--db <file>', 'SQLite database file')
    .option('--port <n>', 'TCP port (0 = any free port)', '8443')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--tls-cert <file>', 'PEM certificate (with --tls-key: serve HTTPS)')
    .option('--tls-key <file>', 'PEM private key')
    .option('--admin-token-file <file>', 'file holding the admin token (else ESIK_HUB_ADMIN_TOKEN)')
    .option('--reader-token-file <file>', 'file holding the read-only events token (else ESIK_HUB_READER_TOKEN)')
    .parse();
  const opts = program.opts<HubCliOptions>();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] });
  const adminToken = await secret(opts.adminTokenFile, 'ESIK_HUB_ADMIN_TOKEN');
  if (!adminToken) throw new Error('no admin token: pass --admin-token-file or set ESIK_HUB_ADMIN_TOKEN');
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  const tls = opts.tlsCert && opts.tlsKey ? { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) } : undefined;
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${opts.port}`);

  const storage = await SqliteHubStorage.open(opts.db);
  const app = await buildHub({ storage, logger, adminToken, readerToken: await secret(opts.readerTokenFile, 'ESIK_HUB_READER_TOKEN'), tls });
  await app.listen({ port, host: opts.host });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  // Printed whatever the log level: scripts and tests started with --port 0 read the port from it.
  process.stdout.write(`${JSON.stringify({ port: bound, tls: Boolean(tls), msg: 'hub listening' })}\n`);

  const shutdown = (): void => {
    closeWithin(app.server, () => app.close())
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
