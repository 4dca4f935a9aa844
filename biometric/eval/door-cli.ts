// `npm run eval:door [-- --levers] [--no-cache] [--config FILE] [--backend wasm|auto|tensorflow]`
// What the face door does, per attempt, with the kiosk's own decision code: enrolment of each gallery
// identity with up to 3 images, attempts of 3 frames by enrolled people and by strangers, the
// kiosk's capture gate, matcher, multi-frame rule and shipped face policy (docs/biometrics.md).
// Progress on stderr; the report as JSON on stdout, its last line one compact JSON object.
// LFW_DIR (default ../shared/data/lfw) holds images/ and pairs_dev.txt (for the pair figures).
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import pino from 'pino';
import { safeWriteFile } from '../../device/util/safe-write.js';
import { DEFAULT_FACE_POLICY, KIOSK_FACE_DETECTOR, faceDetectorOptions } from '../../device/config/index.js';
import { parsePairsFile } from '../calibrate/index.js';
import { createFaceEngine, DEFAULT_DETECTOR, DEFAULT_QUALITY, type BackendChoice, type DetailedFaceEngine } from '../face/index.js';
import type { MatchPolicy } from '../types.js';
import { defaultLfwDir } from './lfw-paths.js';
import { pairImages, runVerification, selectPairs } from './lfw.js';
import { DescriptorStore } from './descriptor-store.js';
import { DEFAULT_DOOR_PLAN, listIdentities, planDoor, planImages } from './door-plan.js';
import { evaluateDoor, headline, type DoorInputs } from './door.js';
import { measureLevers } from './door-levers.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface CliOptions {
  backend: BackendChoice;
  cache: boolean;
  cacheDir: string;
  config?: string;
  levers?: boolean;
  describeOnly?: 'enrol' | 'frames';
  maxAttemptsPerPerson: number;
  skipVerification?: boolean;
  reverse?: boolean;
  shard?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function which(value: string): 'enrol' | 'frames' {
  if (value !== 'enrol' && value !== 'frames') throw new InvalidArgumentError('must be enrol or frames');
  return value;
}

function shardName(value: string): string {
  if (!/^[a-z0-9]{1,16}$/.test(value)) throw new InvalidArgumentError('letters and digits only');
  return value;
}

function parseOptions(argv: string[]): CliOptions {
  return new Command('eval:door')
    .description('Per-attempt accuracy of the face door with the kiosk decision code (docs/biometrics.md)')
    .option('--backend <name>', 'auto | wasm | tensorflow', 'auto')
    .option('--no-cache', 'describe every image again and write no descriptor cache (use for a school\'s own data)')
    .option('--cache-dir <dir>', 'descriptor cache folder', join(repoRoot, 'var/eval-cache'))
    .option('--config <file>', "a kiosk config whose biometric.face policy is measured (default: the shipped one)")
    .option('--levers', 'also measure the levers (template combination, score normalisation, frame fusion, K)')
    .option('--describe-only <which>', 'only fill the cache for enrol or frames images (two processes can share the work)', which)
    .option('--max-attempts-per-person <n>', 'attempts per identity at most', positiveInt, DEFAULT_DOOR_PLAN.maxAttemptsPerPerson)
    .option('--skip-verification', 'no pair figures (pairs_dev.txt not needed)')
    .option('--reverse', 'with --describe-only: from the last image backwards (a second process meets the first)')
    .option('--shard <name>', 'with --describe-only: write to a side cache file, merged by the next full run', shardName)
    .parse(argv, { from: 'user' })
    .opts<CliOptions>();
}

interface KioskFaceSettings {
  policy: MatchPolicy;
  detector: { tinyInputSize: number; ssd: boolean };
}

/** The face policy and detector of a kiosk config, or the ones the kiosk ships. */
async function kioskFaceSettings(configFile: string | undefined): Promise<KioskFaceSettings> {
  if (configFile === undefined) return { policy: DEFAULT_FACE_POLICY, detector: faceDetectorOptions(KIOSK_FACE_DETECTOR) };
  const { loadConfig } = await import('../../device/config/index.js');
  const { config } = await loadConfig(configFile);
  return { policy: config.biometric?.face ?? DEFAULT_FACE_POLICY, detector: faceDetectorOptions(config.biometric?.faceDetector) };
}

type Setting = 'enrol' | 'frames';

/** Enrolment and eval:lfw describe with 416 px + SSD; the kiosk's frames with its own detector. */
async function openStore(setting: Setting, options: CliOptions & { kiosk: KioskFaceSettings }, imagesDir: string, bar: SingleBar): Promise<{ store: DescriptorStore; engine: DetailedFaceEngine }> {
  const detector = setting === 'enrol'
    ? { tinyInputSize: DEFAULT_DETECTOR.tinyInputSize, ssd: DEFAULT_DETECTOR.ssd }
    : options.kiosk.detector;
  const logger = pino({ level: 'warn' }, pino.destination(2));
  // The gate is applied by the evaluation from the stored quality figures, so one cache serves both.
  const engine = await createFaceEngine({ backend: options.backend, logger, multipleFaces: 'central', gate: false, detector });
  const id = `${engine.algo}|tiny${detector.tinyInputSize}|ssd${String(detector.ssd)}|central`;
  const base = `${setting}-${id.replace(/[^A-Za-z0-9.+-]+/g, '_')}`;
  const file = options.cache ? join(options.cacheDir, `${base}${options.shard === undefined ? '' : `.shard-${options.shard}`}.json`) : null;
  if (file !== null) await mkdir(options.cacheDir, { recursive: true });
  const store = new DescriptorStore({
    imagesDir,
    setting: id,
    file,
    write: (path, data) => safeWriteFile(path, data, 0o600),
    extract: (bytes) => engine.extract(bytes),
    onDescribed: () => bar.increment(),
  });
  await store.load();
  if (file !== null && options.shard === undefined) {
    for (const name of await readdir(options.cacheDir)) if (name.startsWith(`${base}.shard-`)) await store.merge(join(options.cacheDir, name));
  }
  return { store, engine };
}

async function describeAll(store: DescriptorStore, paths: readonly string[]): Promise<void> {
  for (const path of paths) await store.get(path);
  await store.flush();
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const kiosk = await kioskFaceSettings(options.config);
  const lfwDir = defaultLfwDir();
  const imagesDir = join(lfwDir, 'images');
  const plan = planDoor(await listIdentities(imagesDir), { ...DEFAULT_DOOR_PLAN, maxAttemptsPerPerson: options.maxAttemptsPerPerson });
  const images = planImages(plan);
  const pairs = options.skipVerification ? null : selectPairs(parsePairsFile(await readFile(join(lfwDir, 'pairs_dev.txt'), 'utf8')));
  const enrolPaths = [...new Set([...images.enrol, ...(pairs === null ? [] : pairImages(pairs))])];
  const bar = new SingleBar({ stream: process.stderr, format: 'eval:door {bar} {value} described | {eta_formatted} left', noTTYOutput: true, notTTYSchedule: 10_000 }, Presets.shades_classic);
  bar.start(options.describeOnly === 'enrol' ? enrolPaths.length : options.describeOnly === 'frames' ? images.frames.length : enrolPaths.length + images.frames.length, 0);
  const started = performance.now();
  const opened: DetailedFaceEngine[] = [];
  try {
    const settings: Setting[] = options.describeOnly === undefined ? ['enrol', 'frames'] : [options.describeOnly];
    const stores = new Map<Setting, DescriptorStore>();
    for (const setting of settings) {
      const { store, engine } = await openStore(setting, { ...options, kiosk }, imagesDir, bar);
      opened.push(engine);
      stores.set(setting, store);
      const paths = setting === 'enrol' ? enrolPaths : images.frames;
      await describeAll(store, options.reverse ? [...paths].reverse() : paths);
    }
    bar.stop();
    if (options.describeOnly !== undefined) {
      process.stdout.write(`${JSON.stringify({ described: [...stores.values()].map((s) => s.describedThisRun()) })}\n`);
      return;
    }
    const enrolStore = stores.get('enrol')!;
    const framesStore = stores.get('frames')!;
    const verification = pairs === null ? null : await runVerification(pairs, enrolStore);
    const inputs: DoorInputs = { plan, enrol: enrolStore, frames: framesStore, policy: kiosk.policy, gate: DEFAULT_QUALITY };
    const door = await evaluateDoor(inputs);
    const levers = options.levers ? await measureLevers(inputs) : null;
    const summary = headline(door, verification, opened[0].algo);
    const report = { dataset: lfwDir, plan: { ...DEFAULT_DOOR_PLAN, maxAttemptsPerPerson: options.maxAttemptsPerPerson }, door, levers, verification, seconds: (performance.now() - started) / 1000 };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n${JSON.stringify(summary)}\n`);
  } finally {
    bar.stop();
    for (const engine of opened) await engine.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`eval:door failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
