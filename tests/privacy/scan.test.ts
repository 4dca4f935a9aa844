// No image, template or name in clear anywhere on disk. A real kiosk (child process, temp state
// dir, temp TMPDIR) enrols faces from faces-bbt through `esik enroll`, decides card presentations
// (names are read), presents a known face and a stranger's as camera frames (POST /v1/simulate/face),
// erases one person; then every file under the state dir (DB, -wal, -shm included, scanned while
// the kiosk runs and after it stops) and the temp dir is searched for image signatures, 16-byte
// windows of the enrolled and presented float32 vectors, and the names (UTF-8 and UTF-16LE).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine } from '../../biometric/index.js';
import { adminRequest } from '../../device/admin/index.js';
import { daemonDir, repoRoot, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';
import { runEsik } from './helpers.js';
import { IMAGE_SIGNATURES, filesUnder, scanFiles, type Needle } from '../helpers/file-scan.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(repoRoot, '../shared/data');
const faces = (who: string): string[] => [1, 2, 3].map((i) => join(dataDir, 'faces-bbt', 'examples', who, `${who}${i}.png`));
const ENROLLED = { 'p-1001': faces('amy'), 'p-1002': faces('howard') } as const;
/** Presented as camera frames through POST /v1/simulate/face: a held-out crop and a stranger. */
const PRESENTED = [join(dataDir, 'faces-bbt', 'examples', 'amy', 'amy4.png'), join(dataDir, 'faces-bbt', 'examples', 'raj', 'raj4.png')];



let dir: DaemonDir;
let tempDir: string;
let daemon: Daemon | null = null;
let needles: Needle[] = [];
const env = (): NodeJS.ProcessEnv => ({ TMPDIR: tempDir, TMP: tempDir, TEMP: tempDir });

beforeAll(async () => {
  dir = await daemonDir();
  tempDir = await mkdtemp(join(tmpdir(), 'esik-scan-tmp-'));
  const roster = JSON.parse(await readFile(join(repoRoot, 'fixtures/demo-roster.json'), 'utf8')) as { people: Array<{ id: string; name: string; shortName?: string }> };
  for (const person of roster.people) if (person.id in ENROLLED) Object.assign(person, { biometricConsent: true });
  const rosterFile = join(dir.dir, 'roster.json');
  await writeFile(rosterFile, JSON.stringify(roster));
  const config = JSON.parse(await readFile(dir.configFile, 'utf8')) as { device: Record<string, unknown>; biometric?: unknown };
  config.device.seedRosterFile = rosterFile;
  config.biometric = { face: { threshold: 0.92, minMargin: 0.02, consecutiveFrames: 2, windowMs: 10_000 }, backend: 'wasm' };
  await writeFile(dir.configFile, JSON.stringify(config));
  // The roster file holds the names in clear by design (the test's own input); only the kiosk's
  // state directory and its temp dir are scanned.
  for (const person of roster.people) {
    for (const name of [person.name, person.shortName].filter((n): n is string => typeof n === 'string' && n.length >= 4)) {
      needles.push({ what: `name "${name}" (UTF-8)`, bytes: Buffer.from(name, 'utf8') }, { what: `name "${name}" (UTF-16LE)`, bytes: Buffer.from(name, 'utf16le') });
    }
  }
  needles.push(...IMAGE_SIGNATURES);
  // The vectors as enrolled: the same engine on the same images gives the same descriptors.
  const engine = await createFaceEngine({ backend: 'wasm', logger: pino({ level: 'silent' }) });
  try {
    // Enrolled photos, and the presented ones: their descriptors must not be kept either.
    for (const files of [...Object.values(ENROLLED), PRESENTED]) {
      for (const file of files) {
        const result = await engine.extract(await readFile(file));
        if (!result.ok) continue;
        const bytes = Buffer.from(result.descriptor.buffer, result.descriptor.byteOffset, result.descriptor.byteLength);
        for (let at = 0; at + 16 <= bytes.length; at += 16) needles.push({ what: `template bytes of ${file} @${at}`, bytes: bytes.subarray(at, at + 16) });
      }
    }
  } finally {
    await engine.close();
  }
  daemon = startDaemon(dir.configFile, env());
  await waitForDaemon(dir.socketPath, daemon);
}, 180_000);

afterAll(async () => {
  if (daemon !== null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  await dir.cleanup();
  await rm(tempDir, { recursive: true, force: true });
  needles = [];
});

/** The daemon loads its face models in the background; a generous functional deadline. */
async function waitForFaceEngine(): Promise<void> {
  const until = Date.now() + 150_000;
  for (;;) {
    const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as { biometric?: { face?: { state?: string } } };
    if (status.biometric?.face?.state === 'ready') return;
    if (Date.now() > until) throw new Error(`face engine not ready: ${JSON.stringify(status.biometric?.face)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('nothing readable on disk', () => {
  it('after enrolment, decisions and an erasure: no image, template bytes or name in any file', async () => {
    expect(needles.filter((n) => n.what.startsWith('template')).length).toBeGreaterThan(0);
    for (const [person, files] of Object.entries(ENROLLED)) {
      const result = await runEsik(dir.configFile, ['enroll', person, ...files, '--json'], { env: env(), timeoutMs: 170_000 });
      expect(result.code, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as { enrolled: number }).enrolled).toBeGreaterThan(0);
    }
    for (const card of ['04A2B91C', '04A2B91D', '04A2B91E']) {
      await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'test', kind: 'card', value: card });
    }
    await waitForFaceEngine();
    const [known, stranger] = await Promise.all(PRESENTED.map((file) => readFile(file)));
    if (known === undefined || stranger === undefined) throw new Error('presented photos missing');
    const granted = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate/face', { actor: 'test', image: known.toString('base64') }, 120_000)) as Record<string, unknown>;
    expect(granted).toMatchObject({ result: 'granted', personId: 'p-1001' });
    const denied = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate/face', { actor: 'test', image: stranger.toString('base64'), direction: 'out' }, 120_000)) as Record<string, unknown>;
    expect(denied).toMatchObject({ result: 'denied', reason: 'unknown' });
    await adminRequest(dir.socketPath, 'POST', '/v1/person/p-1002/erase', { actor: 'test' });
    const stateDir = join(dir.dir, 'state');
    const whileRunning = await scanFiles([stateDir, tempDir], needles);
    expect((await filesUnder(stateDir)).some((f) => f.endsWith('-wal'))).toBe(true);
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    daemon = null;
    const afterStop = await scanFiles([stateDir, tempDir], needles);
    // Control: the same scan does find the names in the test's own roster file.
    expect((await scanFiles([dir.dir], needles.filter((n) => n.what.startsWith('name')))).some((f) => f.includes('roster.json'))).toBe(true);
    expect(whileRunning).toEqual([]);
    expect(afterStop).toEqual([]);
  }, 400_000);
});
