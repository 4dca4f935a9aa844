// `esik biometric eval --modality face --dataset DIR [--threshold T] [--json]`
// Enrols every image under DIR/enroll/<person>/, identifies every image under DIR/probe/<person>/,
// and counts a probe whose person has no enroll/ folder as an impostor that must be rejected.
// The same engine, quality gate, matcher and threshold as the kiosk, so a school can check its own
// camera and lighting with its own (consented) photos. Images are read, never copied.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { createFaceEngine, FlatTemplateMatcher, type DetailedFaceEngine } from '../../../biometric/index.js';
import { configFrom, fail, printJson } from '../context.js';
import { faceDetectorOptions } from '../../config/index.js';

interface EvalOptions {
  modality: string;
  dataset: string;
  threshold?: string;
  margin?: string;
  gate: boolean;
  json?: boolean;
}

const IMAGE = /\.(jpe?g|png)$/i;

async function imagesByPerson(dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let people: string[];
  try {
    people = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return out;
  }
  for (const person of people) {
    const files = (await readdir(join(dir, person))).filter((f) => IMAGE.test(f)).sort();
    if (files.length > 0) out.set(person, files.map((f) => join(dir, person, f)));
  }
  return out;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(2));
}

async function extract(engine: DetailedFaceEngine, file: string, times: number[]): Promise<Float32Array | null> {
  const started = performance.now();
  const result = await engine.extract(await readFile(file));
  times.push(performance.now() - started);
  return result.ok ? result.descriptor : null;
}

async function evaluate(engine: DetailedFaceEngine, dataset: string, threshold: number, minMargin: number) {
  const enrol = await imagesByPerson(join(dataset, 'enroll'));
  const probes = await imagesByPerson(join(dataset, 'probe'));
  if (enrol.size === 0) throw new Error(`no images under ${join(dataset, 'enroll')}/<person>/`);
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo: engine.algo, dimensions: 128 });
  const extractTimes: number[] = [];
  const searchTimes: number[] = [];
  let failed = 0;
  const enrolledPeople = new Set<string>();
  for (const [person, files] of enrol) {
    for (const file of files) {
      const vector = await extract(engine, file, extractTimes);
      if (vector === null) failed += 1;
      else {
        matcher.upsert({ id: file, personId: person, modality: 'face', algo: engine.algo, vector });
        enrolledPeople.add(person);
      }
    }
  }
  const c = { probes: 0, genuine: 0, impostors: 0, correct: 0, false_accepts: 0, false_rejects: 0, misidentified: 0 };
  for (const [person, files] of probes) {
    const genuine = enrol.has(person);
    for (const file of files) {
      c.probes += 1;
      if (genuine) c.genuine += 1;
      else c.impostors += 1;
      const vector = await extract(engine, file, extractTimes);
      if (vector === null) {
        failed += 1;
        if (genuine) c.false_rejects += 1;
        else c.correct += 1; // not let in
        continue;
      }
      const started = performance.now();
      const match = matcher.identify(vector);
      searchTimes.push(performance.now() - started);
      const accepted = match.score >= threshold && match.margin >= minMargin;
      if (!genuine) c[accepted ? 'false_accepts' : 'correct'] += 1;
      else if (!accepted) c.false_rejects += 1;
      else c[match.personId === person ? 'correct' : 'misidentified'] += 1;
    }
  }
  return {
    modality: 'face',
    enrolled_people: enrolledPeople.size,
    ...c,
    failed_to_acquire: failed,
    threshold,
    extract_ms_p50: percentile(extractTimes, 50),
    extract_ms_p95: percentile(extractTimes, 95),
    search_ms_p50: percentile(searchTimes, 50),
  };
}

async function run(command: Command, opts: EvalOptions): Promise<void> {
  if (opts.modality !== 'face') throw new Error('only --modality face is evaluated from images (palm vectors come from the reader)');
  const loaded = await configFrom(command).catch(() => null);
  const policy = loaded?.config.biometric?.face;
  const threshold = opts.threshold !== undefined ? Number(opts.threshold) : policy?.threshold;
  if (threshold === undefined || !Number.isFinite(threshold)) throw new Error('no threshold: pass --threshold or set biometric.face.threshold in the config');
  const minMargin = opts.margin !== undefined ? Number(opts.margin) : (policy?.minMargin ?? 0);
  const biometric = loaded?.config.biometric;
  // Calibrating the kiosk's threshold: the kiosk's own detector settings when its config is given.
  const detector = biometric === undefined ? undefined : faceDetectorOptions(biometric.faceDetector);
  const engine = await createFaceEngine({ backend: biometric?.backend ?? 'auto', modelDir: biometric?.modelDir, detector, logger: pino({ level: 'warn' }, process.stderr), gate: opts.gate });
  try {
    const report = await evaluate(engine, resolve(opts.dataset), threshold, minMargin);
    if (opts.json === true) printJson(report);
    else {
      for (const [key, value] of Object.entries(report)) process.stdout.write(`${key.padEnd(18)} ${String(value)}\n`);
    }
  } finally {
    await engine.close();
  }
}

export function registerBiometricEval(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'biometric') ?? program.command('biometric').description('face and palm identification tools');
  group
    .command('eval')
    .description('enrol DIR/enroll/<person>/*, identify DIR/probe/<person>/*; people without enroll/ are impostors')
    .requiredOption('--dataset <dir>', 'folder with enroll/ and probe/')
    .option('--modality <face>', 'modality', 'face')
    .option('--threshold <t>', 'acceptance threshold (default: biometric.face.threshold from the config)')
    .option('--margin <m>', 'minimum margin to the second person (default: the config)')
    .option('--no-gate', 'measure the recogniser without the capture quality gate')
    .option('--json', 'print JSON')
    .action(async (opts: EvalOptions, command: Command) => {
      try {
        await run(command, opts);
      } catch (error) {
        fail(error);
      }
    });
}
