// The console's accounts from the hub's own machine, for when nobody can sign in: the first
// director of a new hub, or unlocking the last director after 5 wrong passwords. Whoever runs it
// can already read the database, so it needs no other credential; each action is audited.
//   npm run console-admin -- create-director --username NAME [--name "Full name"] [--database URL|FILE]
//   npm run console-admin -- unlock --username NAME [--database URL|FILE]
import { Command } from 'commander';
import { pino } from 'pino';
import { databaseLocation } from '../hub-config.js';
import { openHubStorage } from '../open-storage.js';
import type { HubStorage } from '../storage.js';
import { createDirector, unlockByName } from './seed.js';

interface CommonOptions {
  database?: string;
  username: string;
}

async function withStorage(options: CommonOptions, work: (storage: HubStorage) => Promise<void>): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  const storage = await openHubStorage(databaseLocation({ database: options.database }, process.env), logger);
  try {
    await work(storage);
  } finally {
    await storage.close();
  }
}

const program = new Command('esik-console-admin');
program
  .command('create-director')
  .requiredOption('--username <name>', 'login name (3-32 of a-z 0-9 . _ -)')
  .option('--name <full name>', 'name shown in the console')
  .option('--database <url>', 'postgres:// URL or SQLite file (else ESIK_HUB_DATABASE_URL, else ./var/hub.db)')
  .action((options: CommonOptions & { name?: string }) =>
    withStorage(options, async (storage) => {
      const { account, password } = await createDirector(storage, options.username, options.name ?? options.username);
      // The only time the password is shown: stdout, so it can be piped to wherever it is kept.
      process.stdout.write(`${JSON.stringify({ username: account.username, role: account.role, password })}\n`);
    }),
  );
program
  .command('unlock')
  .requiredOption('--username <name>', 'the locked account')
  .option('--database <url>', 'postgres:// URL or SQLite file (else ESIK_HUB_DATABASE_URL, else ./var/hub.db)')
  .action((options: CommonOptions) =>
    withStorage(options, async (storage) => {
      const account = await unlockByName(storage, options.username);
      process.stdout.write(`${JSON.stringify({ username: account.username, unlocked: true })}\n`);
    }),
  );

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
