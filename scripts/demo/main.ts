// `npm start`: the whole school on one machine, as a newcomer should first see it. The hub (the
// school's server, on embedded SQLite) and the kiosk (simulated door, turnstile and readers) run as
// the two programs they are in a school; the kiosk is registered with the hub, pulls the school's
// roster from it and pushes every arrival to it. State lives in ./var (or --dir) and survives a
// restart; delete the folder to start afresh.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { seedChanges } from '../../device/kiosk/index.js';
import { seedDemoAccounts, type DemoAccount } from '../../hub/console/index.js';
import { SqliteHubStorage } from '../../hub/index.js';
import { makeDirectoryPrivate, safeWriteFile } from '../../lib/index.js';
import { ensureDeviceToken, seedHubRoster, type HubAdmin } from './hub-setup.js';
import { listeningPort, startProgram, stopPrograms, untilReady, waitForHttp, type Program } from './processes.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 120_000;

interface DemoOptions {
  dir: string;
  kioskPort: string;
  healthPort: string;
  hubPort: string;
}

function parseOptions(): DemoOptions {
  return new Command('esik-demo')
    .description('the demo school: a kiosk on simulated hardware synced to a local hub on SQLite')
    .option('--dir <folder>', 'where the kiosk and the hub keep their state', 'var')
    .option('--kiosk-port <n>', 'the kiosk pages (simulator, lobby board)', '8080')
    .option('--health-port <n>', "the kiosk's health and metrics", '8081')
    .option('--hub-port <n>', 'the hub (0 = any free port)', '8443')
    .parse()
    .opts<DemoOptions>();
}

function port(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new Error(`invalid ${flag} ${value}`);
  return parsed;
}

/** The kiosk's demo config with the sync section pointing at the local hub, written beside its state. */
async function writeKioskConfig(stateDir: string, kioskPort: number, healthPort: number, hubUrl: string, tokenFile: string): Promise<string> {
  const config = JSON.parse(await readFile(join(repoRoot, 'config/demo.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  // The roster comes from the hub now; a seed file would make two sources of truth.
  const { seedRosterFile: _seed, ...device } = config.device ?? {};
  const kiosk = {
    ...config,
    device: { ...device, stateDir },
    http: { ...config.http, port: kioskPort },
    health: { host: '127.0.0.1', port: healthPort },
    sync: { url: hubUrl, tokenFile, intervalMs: 2000 },
  };
  const file = join(dirname(stateDir), 'demo-kiosk.json');
  await safeWriteFile(file, `${JSON.stringify(kiosk, null, 2)}\n`);
  return file;
}

/**
 * One console account per role, with new random passwords each start (printed, never fixed in the
 * code, so none can end up in a real school). Made on the database before the hub opens it.
 */
async function demoAccounts(databaseFile: string, className: string): Promise<DemoAccount[]> {
  const storage = await SqliteHubStorage.open(databaseFile);
  try {
    return await seedDemoAccounts(storage, { className });
  } finally {
    await storage.close();
  }
}

async function startHub(dir: string, hubPort: number, className: string): Promise<{ program: Program; admin: HubAdmin; accounts: DemoAccount[] }> {
  const hubDir = join(dir, 'demo-hub');
  await mkdir(hubDir, { recursive: true });
  await makeDirectoryPrivate(hubDir);
  const accounts = await demoAccounts(join(hubDir, 'hub.db'), className);
  let onPort: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolvePort) => (onPort = resolvePort));
  const args = ['--database', join(hubDir, 'hub.db'), '--port', String(hubPort)];
  // The hub logs each request at info; in the demo only its warnings and errors are worth a line.
  const program = startProgram('hub', repoRoot, 'hub/main.ts', args, {
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    onLine: (line) => {
      const bound = listeningPort(line);
      if (bound !== null) onPort(bound);
      return bound === null;
    },
  });
  const bound = await untilReady(listening, program, 'listening port', START_TIMEOUT_MS);
  const token = (await readFile(join(hubDir, 'hub-admin-token'), 'utf8')).trim();
  return { program, admin: { url: `http://127.0.0.1:${bound}`, token }, accounts };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const dir = resolve(opts.dir);
  const kioskPort = port(opts.kioskPort, '--kiosk-port');
  const healthPort = port(opts.healthPort, '--health-port');
  const programs: Program[] = [];
  let stopping = false;
  // The first reason to stop wins: after Ctrl-C, the programs ending is expected, not a failure.
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    stopPrograms(programs)
      .catch((error: unknown) => process.stderr.write(`demo: stopping failed: ${String(error)}\n`))
      .finally(() => process.exit(code));
  };
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
  try {
    const roster = seedChanges(JSON.parse(await readFile(join(repoRoot, 'fixtures/demo-roster.json'), 'utf8')));
    const firstClass = roster.flatMap((change) => (change.op === 'upsert' && change.type === 'person' && change.data.group !== null ? [change.data.group] : []))[0] ?? '5A';
    const hub = await startHub(dir, port(opts.hubPort, '--hub-port'), firstClass);
    programs.push(hub.program);
    const stateDir = join(dir, 'demo');
    await mkdir(stateDir, { recursive: true });
    const tokenFile = join(dir, 'demo-hub', 'demo-kiosk.token');
    const registration = await ensureDeviceToken(hub.admin, 'demo-kiosk', tokenFile);
    const seeded = await seedHubRoster(hub.admin, roster);
    const configFile = await writeKioskConfig(stateDir, kioskPort, healthPort, hub.admin.url, tokenFile);
    const kiosk = startProgram('kiosk', repoRoot, 'device/cli/index.ts', ['run', '--config', configFile]);
    programs.push(kiosk);
    await waitForHttp(`http://127.0.0.1:${kioskPort}/sim`, kiosk, START_TIMEOUT_MS);
    for (const program of programs) void program.exited.then((code) => {
      process.stderr.write(`demo: ${program.name} ended (${String(code)}); stopping the demo\n`);
      stop(1);
    });
    printBanner({ kioskPort, hub: hub.admin, accounts: hub.accounts, registration, seeded, dir });
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    stop(1);
  }
}

function printBanner(info: { kioskPort: number; hub: HubAdmin; accounts: DemoAccount[]; registration: string; seeded: number; dir: string }): void {
  const lines = [
    '',
    'esik demo school is running (Ctrl-C stops it)',
    `  simulator     http://127.0.0.1:${info.kioskPort}/sim     present a card, enrol and present a face`,
    `  lobby board   http://127.0.0.1:${info.kioskPort}/board`,
    `  hub           ${info.hub.url}   admin token in ${join(info.dir, 'demo-hub', 'hub-admin-token')}`,
    `  console       ${info.hub.url}/console   sign in as (new passwords each start):`,
    ...info.accounts.map((account) => `                  ${account.username.padEnd(11)} ${account.password}   ${account.role}${account.className ? ` of ${account.className}` : ''}`),
    `  kiosk         ${info.registration === 'kept' ? 'registered earlier' : info.registration} with the hub, syncs every 2 s`,
    `  roster        ${info.seeded > 0 ? `${info.seeded} changes loaded into the hub` : "the hub's own"}, pulled by the kiosk`,
    `  state         ${info.dir} (delete demo/ and demo-hub/ to start afresh)`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ msg: 'demo ready', kiosk: `http://127.0.0.1:${info.kioskPort}`, hub: info.hub.url })}\n`);
}

void main();
