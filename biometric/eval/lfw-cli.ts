// `npm run eval:lfw [-- --limit N] [--skip-identification] [--backend wasm|auto|tensorflow] [--no-mirror] [--landmark-recrop S] [--faces central|largest] [--tiny-input-size PX] [--no-ssd]`
// Face accuracy on LFW with our pipeline. Progress bar on stderr, one JSON object on stdout.
// LFW_DIR (default ../shared/data/lfw from the repository root) holds pairs_dev.txt and images/.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import pino from 'pino';
import { parsePairsFile } from '../calibrate/index.js';
import { DEFAULT_DETECTOR, createFaceEngine, type BackendChoice } from '../face/index.js';
import { DescriptorCache, percentile } from './descriptors.js';
import { defaultLfwDir } from './lfw-paths.js';
import { pairImages, planIdentification, runIdentification, runVerification, selectPairs } from './lfw.js';

export { defaultLfwDir };

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface CliOptions {
  limit?: number;
  skipIdentification?: boolean;
  backend: BackendChoice;
  tinyInputSize: number;
  /** false with --no-ssd: no SSD MobileNet second chance, as the kiosk runs by default. */
  ssd: boolean;
  mirror: boolean;
  landmarkRecrop: number;
  faces: 'central' | 'largest';
}

function faceChoice(value: string): 'central' | 'largest' {
  if (value !== 'central' && value !== 'largest') throw new InvalidArgumentError('must be central or largest');
  return value;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

function parseOptions(argv: string[]): CliOptions {
  return new Command('eval:lfw')
    .description('LFW verification (cross-validated) and identification accuracy of the face pipeline')
    .option('--limit <n>', 'first N genuine and N impostor pairs per fold, N identities per class', positiveInt)
    .option('--skip-identification', 'verification only')
    .option('--backend <name>', 'auto | wasm | tensorflow', 'auto')
    .option('--tiny-input-size <px>', 'tiny face detector input size', positiveInt, 416)
    .option('--no-ssd', 'no SSD MobileNet second chance (the kiosk default, with --tiny-input-size 320)')
    .option('--no-mirror', "the chip's descriptor alone, without its mirror image's (the kiosk averages both)")
    .option('--landmark-recrop <scale>', 'landmarks again on a square crop this many times their extent (0: off)', nonNegative, DEFAULT_DETECTOR.landmarkRecrop)
    .option('--faces <which>', 'the subject among several faces: central (LFW is centred on it) | largest', faceChoice, 'central')
    .parse(argv, { from: 'user' })
    .opts<CliOptions>();
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const lfwDir = defaultLfwDir();
  const imagesDir = join(lfwDir, 'images');
  const pairsFile = parsePairsFile(await readFile(join(lfwDir, 'pairs_dev.txt'), 'utf8'));
  const folds = selectPairs(pairsFile, options.limit);
  const plan = options.skipIdentification ? null : await planIdentification(imagesDir, options.limit);
  const images = new Set(pairImages(folds));
  if (plan !== null) for (const files of [...plan.gallery.values(), ...plan.impostors.values()]) files.forEach((f) => images.add(f));

  const logger = pino({ level: 'warn' }, pino.destination(2));
  const engine = await createFaceEngine({
    backend: options.backend,
    logger,
    // The recogniser is measured, not the kiosk's capture gate: LFW press photos have bystanders
    // (LFW images are centred on the subject) and the gate's blur/pose limits are tuned for a door.
    multipleFaces: options.faces,
    gate: false,
    detector: { tinyInputSize: options.tinyInputSize, ssd: options.ssd, landmarkRecrop: options.landmarkRecrop },
    mirror: options.mirror,
  });
  // noTTYOutput: a run redirected to a log file still shows its progress every 10 s.
  const bar = new SingleBar({ stream: process.stderr, format: 'LFW {bar} {value}/{total} images | {eta_formatted} left', noTTYOutput: true, notTTYSchedule: 10_000 }, Presets.shades_classic);
  bar.start(images.size, 0);
  const cache = new DescriptorCache(engine, imagesDir, () => bar.increment());
  const started = performance.now();
  try {
    const verification = await runVerification(folds, cache);
    const identification = plan === null ? null : await runIdentification(plan, cache, verification.threshold, engine.algo);
    bar.stop();
    const times = cache.timings();
    const result = {
      dataset: lfwDir,
      protocol: options.limit === undefined ? 'pairs_dev (5 folds x 600 pairs)' : `pairs_dev, first ${options.limit}+${options.limit} pairs per fold`,
      backend: engine.backend,
      faces: options.faces,
      mirror: options.mirror,
      detector: { tinyInputSize: options.tinyInputSize, ssd: options.ssd },
      algo: engine.algo,
      verification,
      identification,
      images: cache.size(),
      failures: cache.failures(),
      detection: engine.stats(),
      extract_ms_p50: percentile(times, 50),
      extract_ms_p95: percentile(times, 95),
      seconds: (performance.now() - started) / 1000,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    bar.stop();
    await engine.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`eval:lfw failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
