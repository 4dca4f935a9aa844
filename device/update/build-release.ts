// npm run release -- --key keys/release.key [--version V] [--out FILE] [--min-readable-schema N]
// npm run release -- keygen keys/release      (writes keys/release.key 0600 and keys/release.pub)
//
// Builds the app (tsc into dist/), packs it with its production node_modules, and signs the manifest.
// Native modules (sqlite3, node-hid) are per architecture: build on the kiosks' architecture (an arm64
// Pi or arm64 CI runner); the manifest records it and kiosks refuse a mismatch unless forced.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { SCHEMA_VERSION } from '../../sync/store/index.js';
import { packRelease } from './archive.js';
import { loadPrivateKey, writeReleaseKeyPair } from './signing.js';
import { appRoot } from './version.js';

const run = promisify(execFile);
/** Everything a kiosk runs, relative to the checkout; node_modules is added from `npm ls`. */
const APP_FILES = ['dist', 'bin', 'package.json', 'package-lock.json', 'config', 'systemd', 'scripts', 'display/public', 'device/sim/public', 'device/library/public', 'device/canteen/public', 'fixtures/demo-roster.json'];

async function productionModules(root: string): Promise<string[]> {
  // `npm ls --omit=dev --parseable` lists exactly the installed production dependency folders.
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }), // npm ls exits 1 on extraneous packages; its list is still right
  );
  return stdout
    .split('\n')
    .map((line) => relative(root, line.trim()))
    .filter((path) => path.startsWith('node_modules'));
}

interface BuildOptions {
  key: string;
  version?: string;
  out?: string;
  schemaVersion?: string;
  minReadableSchema?: string;
  build: boolean;
  nodeModules: boolean;
}

async function buildRelease(opts: BuildOptions): Promise<void> {
  const root = appRoot();
  const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8')) as { version: string };
  const version = opts.version ?? pkg.version;
  const schemaVersion = opts.schemaVersion !== undefined ? Number(opts.schemaVersion) : SCHEMA_VERSION;
  // By default a release only claims what is certainly true: its database is readable by its own schema.
  const minReadableSchema = opts.minReadableSchema !== undefined ? Number(opts.minReadableSchema) : schemaVersion;
  if (opts.build) {
    process.stderr.write('building (tsc -p tsconfig.build.json)...\n');
    // From an empty dist/: tsc never deletes, and a file left by an older build (the hub, before it
    // moved out of the kiosk's build) would otherwise ship in the archive.
    await rm(resolve(root, 'dist'), { recursive: true, force: true });
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${error.stdout ?? ''}`);
    });
  }
  if (!existsSync(resolve(root, 'dist', 'device', 'cli', 'index.js'))) throw new Error('dist/ is missing: run without --no-build');
  if (existsSync(resolve(root, 'dist', 'hub')) || existsSync(resolve(root, 'dist', 'sync', 'hub'))) throw new Error('dist/ holds hub code from an older build: build again (without --no-build)');
  const files = APP_FILES.filter((f) => existsSync(resolve(root, f)));
  if (opts.nodeModules) files.push(...(await productionModules(root)));
  const outFile = resolve(opts.out ?? `esik-${version}-${process.arch}.tgz`);
  const privateKey = loadPrivateKey(await readFile(resolve(opts.key), 'utf8'));
  const manifest = await packRelease({ sourceDir: root, files, version, schemaVersion, minReadableSchema, privateKey, outFile });
  process.stdout.write(`${JSON.stringify({ outFile, ...manifest })}\n`);
}

const program = new Command('release').description('build and sign an esik release archive');
program
  .option('--key <file>', 'Ed25519 private key (PEM) to sign with', process.env.ESIK_RELEASE_KEY)
  .option('--version <version>', 'release version (default: package.json version)')
  .option('--out <file>', 'archive to write (default: esik-VERSION-ARCH.tgz)')
  .option('--schema-version <n>', 'database schema the release migrates to (default: the store SCHEMA_VERSION)')
  .option('--min-readable-schema <n>', 'oldest release schema that can still read its database (default: its own)')
  .option('--no-build', 'pack the existing dist/ without running tsc')
  .option('--no-node-modules', 'leave out node_modules (the kiosk provides them)')
  .action(async (opts: BuildOptions & { key?: string }) => {
    if (opts.key === undefined) throw new Error('--key (or ESIK_RELEASE_KEY) is required; create one with `npm run release -- keygen keys/release`');
    await buildRelease({ ...opts, key: opts.key });
  });
program
  .command('keygen <prefix>')
  .description('write PREFIX.key (private, 0600) and PREFIX.pub (install as /etc/esik/release-key.pub)')
  .action(async (prefix: string) => {
    await writeReleaseKeyPair(resolve(prefix));
    process.stdout.write(`wrote ${prefix}.key (keep it off the kiosks) and ${prefix}.pub\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`release: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
