// What each program's build holds. A kiosk release is built from tsconfig.build.json (what
// `npm run release` compiles into dist/ and packs): it must hold the kiosk and the wire protocol and
// no hub code, neither a hub/ folder nor a module that imports one. The hub is built on its own from
// tsconfig.hub.json (hub/, protocol/, lib/, and biometric/ for the console's photo enrolment) and
// runs from that build alone; a hub release carries the face engine's packages and model weights
// and enrols a photo from its own unpacked files.
// Both builds skip type checking (--noCheck; `npm run typecheck` does that) to stay quick: what is
// under test is which files each build takes in, not their types.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packRelease } from '../../device/update/archive.js';
import { PAYLOAD_FILE } from '../../device/update/manifest.js';
import { openRelease } from '../../device/update/release-reader.js';
import { generateReleaseKeyPair, loadPrivateKey, loadPublicKey } from '../../device/update/signing.js';
import { repoRoot } from '../sync/helpers.js';
import { tempRoot } from './helpers/releases.js';

const run = promisify(execFile);
const tscBin = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** An import or re-export of a module in a hub/ folder, static or dynamic, at any depth. */
const HUB_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](?:[^'"]*\/)?hub\/[^'"]*['"]/;
/** A path with a folder named hub anywhere in it (dist/hub/..., dist/sync/hub/...). */
const HUB_PATH = /(?:^|\/)hub\//;

/** Compiles the project `tsconfig` into `outDir` (JavaScript only: no maps, no type check). */
async function compile(tsconfig: string, outDir: string): Promise<void> {
  await run(process.execPath, [tscBin, '-p', join(repoRoot, tsconfig), '--outDir', outDir, '--noCheck', '--sourceMap', 'false'], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => {
    throw new Error(`tsc -p ${tsconfig} failed:\n${error.stdout ?? ''}`);
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** Unpacks a release archive's payload (the app as a kiosk installs it) into `dir`. */
async function unpackPayload(archive: string, dir: string): Promise<void> {
  const outer = join(dir, '..', 'outer');
  await mkdir(outer, { recursive: true });
  await tar.x({ file: archive, cwd: outer });
  await mkdir(dir, { recursive: true });
  await tar.x({ file: join(outer, PAYLOAD_FILE), cwd: dir });
}

/** Runs a built hub's main.js with plain node from `cwd` and checks that it answers /v1/health. */
async function expectBuiltHubServes(mainJs: string, cwd: string, dbFile: string): Promise<void> {
  const child = spawn(process.execPath, [mainJs, '--db', dbFile, '--port', '0'], {
    cwd,
    env: { ...process.env, ESIK_HUB_ADMIN_TOKEN: 'contents-test-admin-token', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /"port":(\d+)[^\n]*"msg":"hub listening"/.exec(stdout);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`built hub exited with ${String(code)}: ${stderr}`)));
    });
    const health = await fetch(`http://127.0.0.1:${port}/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * The unpacked release's own face engine (dist-hub/hub/faces, its worker thread, the packaged
 * weights) makes a descriptor of a face photo, in a plain node process from the install folder.
 */
async function expectBuiltHubEnrols(installed: string): Promise<void> {
  const photo = join(process.env.ESIK_DATA_DIR ?? join(repoRoot, '../shared/data'), 'faces-bbt', 'examples', 'amy', 'amy1.png');
  const script = [
    `import { createRequire } from 'node:module';`,
    `import { readFileSync } from 'node:fs';`,
    `import { HubFaceEngine } from './dist-hub/hub/faces/index.js';`,
    `const pino = createRequire(import.meta.url)('pino');`,
    `const engine = new HubFaceEngine({ logger: pino({ level: 'silent' }) });`,
    `const { algo, extraction } = await engine.extract(readFileSync(${JSON.stringify(photo)}));`,
    `await engine.close();`,
    `console.log(JSON.stringify({ algo, ok: extraction.ok, length: extraction.ok ? extraction.descriptor.length : 0 }));`,
  ].join('\n');
  await writeFile(join(installed, 'enrol-check.mjs'), script);
  const { stdout } = await run(process.execPath, ['enrol-check.mjs'], { cwd: installed, timeout: 120_000 });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ algo: 'dlib-resnet-v1/face-api-1.7/chip150+mirror', ok: true, length: 128 });
}

describe('program builds', () => {
  let work: string;

  beforeAll(async () => {
    work = await tempRoot('esik-release-contents-');
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('a kiosk release archive holds the kiosk and the protocol, and no hub code', async () => {
    const checkout = join(work, 'kiosk');
    await compile('tsconfig.build.json', join(checkout, 'dist'));
    const archive = join(work, 'esik-kiosk.tgz');
    const privateKey = loadPrivateKey(generateReleaseKeyPair().privateKeyPem);
    await packRelease({ sourceDir: checkout, files: ['dist'], version: '0.0.0-contents', schemaVersion: 1, minReadableSchema: 1, privateKey, outFile: archive });
    const installed = join(work, 'installed', 'app');
    await unpackPayload(archive, installed);

    const files = await filesUnder(installed);
    // The archive really is a kiosk: its entry point, its sync client and the protocol it speaks.
    expect(files).toContain('dist/device/cli/index.js');
    expect(files).toContain('dist/sync/client/index.js');
    expect(files).toContain('dist/protocol/index.js');
    expect(files.filter((file) => HUB_PATH.test(file))).toEqual([]);
    const importers: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      if (HUB_IMPORT.test(await readFile(join(installed, file), 'utf8'))) importers.push(file);
    }
    expect(importers).toEqual([]);
  }, 180_000);

  it('the hub builds on its own from hub/, protocol/, lib/ and biometric/, and serves from that build', async () => {
    const checkout = join(work, 'hub');
    const out = join(checkout, 'dist-hub');
    await compile('tsconfig.hub.json', out);
    const folders = new Set((await filesUnder(out)).map((file) => file.split('/')[0]));
    expect([...folders].sort()).toEqual(['biometric', 'hub', 'lib', 'protocol']);

    // Only the build, package.json's module type and the installed packages: no source, no tsx.
    await writeFile(join(checkout, 'package.json'), JSON.stringify({ type: 'module' }));
    await symlink(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    await expectBuiltHubServes(join(out, 'hub', 'main.js'), checkout, join(work, 'hub.db'));
  }, 180_000);
});

describe('a hub release', () => {
  let work: string;

  beforeAll(async () => {
    work = await tempRoot('esik-hub-release-');
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('is signed as esik-hub, holds the hub and only the packages it imports, is refused by a kiosk, and serves once verified and unpacked', async () => {
    // A checkout with the hub built into it, sharing this one's installed packages.
    const checkout = join(work, 'checkout');
    await compile('tsconfig.hub.json', join(checkout, 'dist-hub'));
    // Files are copied (a release refuses links that point outside it); the packages are read in place.
    for (const file of ['package.json', 'package-lock.json', 'systemd/esik-hub.service', 'docs/hub.md']) {
      await mkdir(dirname(join(checkout, file)), { recursive: true });
      await copyFile(join(repoRoot, file), join(checkout, file));
    }
    await symlink(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    const keys = generateReleaseKeyPair();
    await writeFile(join(work, 'release.key'), keys.privateKeyPem, { mode: 0o600 });
    await writeFile(join(work, 'release.pub'), keys.publicKeyPem);
    const archive = join(work, 'esik-hub.tgz');
    const tsx = ['--import', 'tsx', join(repoRoot, 'scripts/release-hub/main.ts')];
    await run(process.execPath, [...tsx, '--root', checkout, '--no-build', '--key', join(work, 'release.key'), '--out', archive], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });

    // A kiosk's reader refuses it before the payload, by the signed name.
    const staging = await tempRoot('esik-hub-release-kiosk-');
    try {
      await expect(openRelease(archive, loadPublicKey(keys.publicKeyPem), staging)).rejects.toThrow(/release of esik-hub, not of esik/);
      expect(await readdir(staging)).toEqual([]);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }

    const installed = join(work, 'installed');
    await run(process.execPath, [...tsx, 'verify', archive, '--pub', join(work, 'release.pub'), '--into', installed], { cwd: repoRoot });
    const files = await filesUnder(installed);
    expect(files).toContain('dist-hub/hub/main.js');
    expect(files).toContain('systemd/esik-hub.service');
    expect(files.filter((file) => /^dist-hub\/(device|sync|display)\//.test(file))).toEqual([]);
    const packages = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1]?.startsWith('@') ? 3 : 2).join('/')));
    // Enrolment's face engine: sharp decodes, face-api on TF.js's core and WASM backend describes.
    for (const needed of ['fastify', 'pg', 'sqlite3', 'zod', 'pino', 'sharp', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@vladmandic/face-api']) expect(packages, needed).toContain(needed);
    for (const weights of ['@vladmandic/face-api/model/face_recognition_model.bin', '@vladmandic/face-api/model/tiny_face_detector_model.bin', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm']) expect(files).toContain(`node_modules/${weights}`);
    // The full TF.js bundle is never loaded by the WASM path; the kiosk's hardware and the tools stay out.
    for (const kioskOnly of ['@tensorflow/tfjs', 'johnny-five', 'node-hid', 'onoff', 'socket.io', 'vitest', 'typescript']) expect(packages, kioskOnly).not.toContain(kioskOnly);
    await expectBuiltHubEnrols(installed);

    await expectBuiltHubServes(join(installed, 'dist-hub', 'hub', 'main.js'), installed, join(work, 'hub.db'));
  }, 240_000);
});
