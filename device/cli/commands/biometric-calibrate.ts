// `esik biometric calibrate PAIRS [--images DIR] [--target-far 1e-3] [--json]`: from labelled pairs
// (LFW pairs format) computes FAR, FRR and TAR at a target FAR, the equal error rate, the
// best-accuracy threshold and, for multi-fold files, cross-validated accuracy; prints the face
// threshold to put in config. Photos are read and described in memory; nothing is written.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { pino } from 'pino';
import { calibrate, parsePairsFile, scorePairs, type CalibrationReport, type DescribeImage, type ScoredPairs } from '../../../biometric/index.js';
import type { FaceEngine } from '../../../biometric/index.js';
import { fail, printJson } from '../context.js';
import { isErrno } from '../../../lib/index.js';

interface CalibrateOptions {
  images?: string;
  targetFar: string;
  backend: 'auto' | 'wasm' | 'tensorflow';
  json?: boolean;
}

export interface CalibrationOutput {
  pairsFile: string;
  imagesDir: string;
  algo: string;
  backend: string;
  pairs: number;
  failedPairs: number;
  failuresByReason: Record<string, number>;
  report: CalibrationReport;
  /** The config fragment to apply: biometric.face.threshold. */
  recommendedThreshold: number;
}

function parseTargetFar(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value >= 1) throw new Error(`--target-far must be a number in (0, 1), got "${text}"`);
  return value;
}

function describeWith(engine: FaceEngine, imagesDir: string): DescribeImage {
  return async (relativePath) => {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(imagesDir, relativePath));
    } catch (error) {
      return { ok: false, reason: isErrno(error, 'ENOENT') ? 'missing_image' : 'unreadable' };
    }
    const extraction = await engine.extract(bytes);
    return extraction.ok ? { ok: true, descriptor: extraction.descriptor } : { ok: false, reason: extraction.reason };
  };
}

/** Reads the pairs, describes the images with `engine`, and computes the calibration. */
export async function runCalibration(
  pairsPath: string,
  imagesDir: string,
  targetFar: number,
  engine: FaceEngine,
  onPair?: (done: number, total: number) => void,
): Promise<CalibrationOutput> {
  const pairsFile = parsePairsFile(await readFile(pairsPath, 'utf8'));
  const scored: ScoredPairs = await scorePairs(pairsFile, describeWith(engine, imagesDir), onPair);
  const all = scored.folds.flat();
  const folds = scored.folds.length >= 2 ? scored.folds : undefined;
  const report = calibrate(all, { targetFar, folds });
  return {
    pairsFile: pairsPath,
    imagesDir,
    algo: engine.algo,
    backend: engine.backend,
    pairs: pairsFile.pairs.length,
    failedPairs: scored.failedPairs,
    failuresByReason: scored.failuresByReason,
    report,
    recommendedThreshold: Number(report.atTargetFar.threshold.toFixed(4)),
  };
}

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

export function formatCalibration(out: CalibrationOutput): string {
  const { report } = out;
  const at = report.atTargetFar;
  const lines = [
    `pairs        ${out.pairs} (${report.genuinePairs} genuine, ${report.impostorPairs} impostor scored; ${out.failedPairs} failed: ${JSON.stringify(out.failuresByReason)})`,
    `model        ${out.algo} on ${out.backend}`,
    `at FAR ${report.targetFar}  threshold ${at.threshold.toFixed(4)}  TAR ${percent(at.tar)}  FRR ${percent(at.frr)}  FAR ${percent(at.far)}${at.measurable ? '' : '  (too few impostor pairs to measure this FAR: zero false accepts)'}`,
    `EER          ${percent(report.equalError.eer)} at ${report.equalError.threshold.toFixed(4)}`,
    `best acc.    ${percent(report.bestAccuracy.accuracy)} at ${report.bestAccuracy.threshold.toFixed(4)}`,
  ];
  const cv = report.crossValidation;
  if (cv !== undefined) lines.push(`${cv.folds.length}-fold CV    ${percent(cv.meanAccuracy)} ± ${percent(cv.stdAccuracy)} (threshold ${cv.threshold.toFixed(4)})`);
  lines.push('', 'put in config:', `  "biometric": { "face": { "threshold": ${out.recommendedThreshold} } }`);
  return `${lines.join('\n')}\n`;
}

async function calibrateCommand(pairs: string, opts: CalibrateOptions): Promise<void> {
  const targetFar = parseTargetFar(opts.targetFar);
  const pairsPath = resolve(pairs);
  const imagesDir = resolve(opts.images ?? join(dirname(pairsPath), 'images'));
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const { createFaceEngine } = await import('../../../biometric/face/index.js');
  // LFW press photos show bystanders: describe the largest face, and calibrate the recogniser
  // itself (no kiosk quality gate); a photo without a detectable face still counts as a failure.
  const engine = await createFaceEngine({ backend: opts.backend, logger, multipleFaces: 'largest', gate: false });
  const bar = process.stderr.isTTY && opts.json !== true ? new SingleBar({ format: 'pairs {bar} {value}/{total} {eta}s', stream: process.stderr }) : null;
  try {
    const out = await runCalibration(pairsPath, imagesDir, targetFar, engine, (done, total) => {
      if (done === 1) bar?.start(total, 0);
      bar?.update(done);
    });
    bar?.stop();
    if (opts.json === true) printJson(out);
    else process.stdout.write(formatCalibration(out));
  } finally {
    bar?.stop();
    await engine.close();
  }
}

export function registerBiometricCalibrate(program: Command): void {
  // `biometric` may already exist (other biometric subcommands register under it).
  const group = program.commands.find((c) => c.name() === 'biometric') ?? program.command('biometric').description('face and palm identification tools');
  group
    .command('calibrate')
    .description('FAR/FRR/TAR and the face threshold for a target FAR, from labelled pairs (LFW pairs format)')
    .argument('<pairs>', 'pairs file: "FOLDS N" header, then "name i j" (same) and "name1 i name2 j" (different)')
    .option('--images <dir>', 'folder with <name>/<name>_NNNN.jpg (default: images/ beside the pairs file)')
    .option('--target-far <rate>', 'false accept rate to calibrate for', '1e-3')
    .option('--backend <name>', 'TF.js backend: auto, wasm or tensorflow', 'auto')
    .option('--json', 'print JSON')
    .action(async (pairs: string, opts: CalibrateOptions) => {
      try {
        await calibrateCommand(pairs, opts);
      } catch (error) {
        fail(error);
      }
    });
}
