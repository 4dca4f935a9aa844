// A throwaway PostgreSQL server for tests and benchmarks: initdb into a fresh temporary folder,
// listen on a free port on 127.0.0.1 (its unix socket inside that folder), one database, and
// stop() removes everything. Debian's `postgresql` package provides the binaries; they live in
// /usr/lib/postgresql/<version>/bin, not on PATH (ESIK_PG_BIN overrides the search).
// PostgreSQL refuses to run as root, so under uid 0 the server runs as the `postgres` user.
// kill9() and restart() exist for fault tests: a crash of the database under running hubs.
import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface TempPostgres {
  /** postgres://postgres@127.0.0.1:PORT/esik */
  url: string;
  port: number;
  /** The temporary folder: data/, the socket and the server log. */
  dataDir: string;
  /** Creates another empty database on this server and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Fast shutdown, then removes the folder. */
  stop(): Promise<void>;
  /** SIGKILLs the postmaster and its children, as a crash would. */
  kill9(): Promise<void>;
  /** Starts the server again on the same folder and port (after kill9, or a stop of the server alone). */
  restart(): Promise<void>;
}

export async function findPostgresBin(): Promise<string> {
  const fromEnv = process.env.ESIK_PG_BIN;
  if (fromEnv) return fromEnv;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql, or set ESIK_PG_BIN)');
  return `/usr/lib/postgresql/${newest}/bin`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface ServerLayout {
  bin: string;
  root: string;
  data: string;
  port: number;
  asRoot: boolean;
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
async function pgCommand(layout: ServerLayout, tool: string, args: string[]): Promise<void> {
  const file = join(layout.bin, tool);
  const [command, argv] = layout.asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    await run(command, argv, { cwd: layout.root, timeout: 120_000 });
  } catch (error) {
    const log = await readFile(join(layout.root, 'server.log'), 'utf8').catch(() => '');
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr}\n${log.slice(-2000)}`, { cause: error });
  }
}

async function initCluster(layout: ServerLayout): Promise<void> {
  const socketDir = join(layout.root, 'sock');
  await mkdir(socketDir);
  if (layout.asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    for (const path of [layout.root, socketDir]) await chown(path, Number(stdout.trim()), Number(gid.trim()));
  }
  // --no-sync: initdb's own files need no fsync for a throwaway cluster; the server runs with fsync on.
  await pgCommand(layout, 'initdb', ['-D', layout.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const settings = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${layout.port}`,
    `unix_socket_directories = '${socketDir}'`,
    'fsync = on',
    'synchronous_commit = on',
    'shared_buffers = 32MB',
    'max_connections = 200',
    'log_min_messages = warning',
  ];
  const conf = join(layout.data, 'postgresql.conf');
  await writeFile(conf, `${await readFile(conf, 'utf8')}\n# esik test server\n${settings.join('\n')}\n`);
}

function startServer(layout: ServerLayout): Promise<void> {
  return pgCommand(layout, 'pg_ctl', ['-D', layout.data, '-l', join(layout.root, 'server.log'), '-w', '-t', '60', 'start']);
}

async function postmasterPid(layout: ServerLayout): Promise<number | null> {
  const text = await readFile(join(layout.data, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = text ? Number(text.split('\n')[0]) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** The direct children of `pid` (PostgreSQL's backends and helpers), from /proc. */
async function childPids(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces) start at ") ": state, then ppid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killServer(layout: ServerLayout): Promise<void> {
  const pid = await postmasterPid(layout);
  if (pid === null || !isAlive(pid)) return;
  const victims = [pid, ...(await childPids(pid))];
  for (const victim of victims) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // A restart must not meet the old shared memory still attached: wait for every one to die.
  const deadline = Date.now() + 30_000;
  while (victims.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function createDatabaseOn(port: number, name: string): Promise<string> {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return `postgres://postgres@127.0.0.1:${port}/${name}`;
}

/** Starts a throwaway server with one database, `esik`. */
export async function startPostgres(): Promise<TempPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'esik-pg-'));
  const layout: ServerLayout = { bin: await findPostgresBin(), root, data: join(root, 'data'), port: await freePort(), asRoot: process.getuid?.() === 0 };
  await initCluster(layout);
  let serverPid: number | null = null;
  const start = async (): Promise<void> => {
    await startServer(layout);
    serverPid = await postmasterPid(layout);
  };
  await start();
  // If the test process dies without stop(), take the server down with it (SIGQUIT: immediate).
  const quitOnExit = (): void => {
    if (serverPid !== null && isAlive(serverPid)) process.kill(serverPid, 'SIGQUIT');
  };
  process.once('exit', quitOnExit);
  let databases = 0;
  const url = await createDatabaseOn(layout.port, 'esik');
  return {
    url,
    port: layout.port,
    dataDir: root,
    createDatabase: (name) => createDatabaseOn(layout.port, name ?? `esik_${++databases}_${process.pid}`),
    async stop() {
      process.removeListener('exit', quitOnExit);
      if (await postmasterPid(layout)) {
        await pgCommand(layout, 'pg_ctl', ['-D', layout.data, '-m', 'fast', '-w', 'stop']).catch(() => killServer(layout));
      }
      await rm(root, { recursive: true, force: true });
    },
    kill9: () => killServer(layout),
    restart: start,
  };
}
