// npm run release:hub -- --key keys/release.key [--version V] [--out FILE] [--no-build]
// npm run release:hub -- verify FILE --pub keys/release.pub --into /opt/esik-hub/releases/V
//
// The hub is released on its own: a signed archive (the same format and key as the kiosk's, named
// `esik-hub` in its signed manifest, so neither program installs the other's) holding the hub's build
// (dist-hub: hub/, protocol/, lib/), its unit and docs, and only the installed packages the build
// imports. `verify` checks the signature and the payload's checksum before unpacking anything, as a
// kiosk does; the operator then points /opt/esik-hub/current at the folder (docs/hub.md).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { MIGRATIONS } from '../../hub/index.js';
import { packRelease } from '../../device/update/archive.js';
import { extractPayload } from '../../device/update/payload.js';
import { openRelease } from '../../device/update/release-reader.js';
import { loadPrivateKey, readPublicKey } from '../../device/update/signing.js';
import { importedPackages, packageClosure } from './modules.js';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** What an installed hub needs besides its packages: ESM marker and versions, its unit and its docs. */
const HUB_FILES = ['dist-hub', 'package.json', 'package-lock.json', 'systemd/esik-hub.service', 'docs/hub.md'];

interface PackOptions {
  root?: string;
  key?: string;
  version?: string;
  out?: string;
  build: boolean;
}

async function buildHub(root: string): Promise<void> {
  process.stderr.write('building (tsc -p tsconfig.hub.json)...\n');
  // From an empty dist-hub/: tsc never deletes, and a stale file would ship.
  await rm(join(root, 'dist-hub'), { recursive: true, force: true });
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.hub.json', '--sourceMap', 'false'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${error.stdout ?? ''}`);
    },
  );
}

async function packHub(opts: PackOptions): Promise<void> {
  if (opts.key === undefined) throw new Error('--key (or ESIK_RELEASE_KEY) is required; create one with `npm run release -- keygen keys/release`');
  const root = resolve(opts.root ?? repoRoot);
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const version = opts.version ?? pkg.version;
  if (opts.build) await buildHub(root);
  if (!existsSync(join(root, 'dist-hub', 'hub', 'main.js'))) throw new Error('dist-hub/ is missing: run without --no-build');
  const modules = await packageClosure(root, await importedPackages(join(root, 'dist-hub')));
  const outFile = resolve(opts.out ?? `esik-hub-${version}-${process.arch}.tgz`);
  const privateKey = loadPrivateKey(await readFile(resolve(opts.key), 'utf8'));
  // The schema a hub release migrates PostgreSQL to; it never reads a newer one (hub/pg-schema.ts).
  const schema = MIGRATIONS.length;
  const files = [...HUB_FILES.filter((file) => existsSync(join(root, file))), ...modules];
  const manifest = await packRelease({ name: 'esik-hub', sourceDir: root, files, version, schemaVersion: schema, minReadableSchema: schema, privateKey, outFile });
  process.stdout.write(`${JSON.stringify({ outFile, packages: modules.length, ...manifest })}\n`);
}

async function verifyHub(file: string, opts: { pub: string; into: string }): Promise<void> {
  const into = resolve(opts.into);
  if (existsSync(into)) throw new Error(`${into} exists: unpack each release into a new folder`);
  const staging = await mkdtemp(join(dirname(into), '.esik-hub-staging-'));
  try {
    const release = await openRelease(resolve(file), await readPublicKey(resolve(opts.pub)), staging, () => Promise.resolve(), 'esik-hub');
    await mkdir(into, { mode: 0o755 });
    await extractPayload(release.payloadPath, into, release.manifest);
    process.stdout.write(`${JSON.stringify({ verified: true, into, ...release.manifest })}\n`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

const program = new Command('release-hub').description('build and sign an esik-hub release archive, or verify and unpack one');
program
  .option('--key <file>', 'Ed25519 private key (PEM) to sign with', process.env.ESIK_RELEASE_KEY)
  .option('--version <version>', 'release version (default: package.json version)')
  .option('--out <file>', 'archive to write (default: esik-hub-VERSION-ARCH.tgz)')
  .option('--no-build', 'pack the existing dist-hub/ without running tsc')
  .option('--root <folder>', 'the checkout to pack (default: this one)')
  .action((opts: PackOptions) => packHub(opts));
program
  .command('verify <file>')
  .description('check the signature and checksum, then unpack into a new folder')
  .requiredOption('--pub <file>', 'the release public key (PEM)')
  .requiredOption('--into <folder>', 'a folder that does not exist yet')
  .action((file: string, opts: { pub: string; into: string }) => verifyHub(file, opts));

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`release:hub: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
