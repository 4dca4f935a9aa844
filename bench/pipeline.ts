// `npm run bench -- pipeline [--images=200] [--gallery=10000]`
// Frame-to-decision latency on LFW photos through our pipeline (decode, detect, dlib alignment,
// descriptor, 1:N search, threshold) next to face-api's plain
// detectSingleFace().withFaceLandmarks().withFaceDescriptor() on the same images, backend and
// gallery, and through the face worker thread the kiosk uses (with the event-loop delay each puts
// on the calling thread); then, in fresh processes started with systemd/esik.service's Node flags and
// environment, RSS with 100,000 templates and the models loaded on the worker after 60 camera-sized
// frames, and the cold start to ready with 50,000 templates in the store.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pino } from 'pino';
import sharp from 'sharp';
import type * as FaceApiTypes from '@vladmandic/face-api';
import { FlatTemplateMatcher, createFaceEngine, decodeFrame, defaultModelDir, FACE_ALGO } from '../biometric/index.js';
import type { FaceEngine } from '../biometric/types.js';
import { WorkerFaceEngine } from '../device/biometric/face-worker.js';
import { faceDetectorOptions } from '../device/config/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const execFileAsync = promisify(execFile);
const THRESHOLD = 0.92;
/** Frames described before RSS is read: the model's working memory settles over the first few. */
const RSS_FRAMES = 60;

function flag(flags: string[], name: string, fallback: number): number {
  const found = flags.find((f) => f.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function stats(samples: number[]): { p50_ms: number; p99_ms: number; mean_ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  const round = (x: number) => Number(x.toFixed(1));
  return { p50_ms: round(at(50)), p99_ms: round(at(99)), mean_ms: round(sorted.reduce((s, x) => s + x, 0) / sorted.length) };
}

/**
 * CPU milliseconds (user + system) since `start`: on a machine shared with other work, wall time
 * measures the neighbours too; the pipeline is single-threaded, so CPU time is its own cost.
 * (sharp decodes on its own threads, which are included.)
 */
function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function lfwImagePaths(count: number): Promise<string[]> {
  const dir = resolve(process.env.LFW_DIR ?? resolve(process.env.ESIK_DATA_DIR ?? resolve(here, '../../shared/data'), 'lfw'), 'images');
  const names = (await readdir(dir)).sort();
  const files: string[] = [];
  for (const name of names) {
    for (const f of (await readdir(join(dir, name))).sort()) files.push(join(dir, name, f));
    if (files.length >= count) break;
  }
  return files.slice(0, count);
}

function randomGallery(size: number): FlatTemplateMatcher {
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo: FACE_ALGO, dimensions: 128 });
  for (let i = 0; i < size; i += 1) {
    const v = new Float32Array(128).map(() => Math.random() - 0.5);
    matcher.upsert({ id: `t-${i}`, personId: `p-${i}`, modality: 'face', algo: FACE_ALGO, vector: v });
  }
  return matcher;
}

/**
 * Frame to decision through `engine`, and how long the calling thread's event loop was held
 * meanwhile (what a card at the next turnstile would wait for on top of its own decision).
 */
async function timeChain(engine: FaceEngine, images: Buffer[], matcher: FlatTemplateMatcher) {
  const times: number[] = [];
  const cpu: number[] = [];
  let failures = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  for (const [i, image] of images.entries()) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const result = await engine.extract(image);
    if (result.ok) void (matcher.identify(result.descriptor).score >= THRESHOLD);
    else failures += 1;
    if (i >= 5) {
      times.push(performance.now() - start);
      cpu.push(cpuMs(cpuStart));
    }
  }
  loopDelay.disable();
  return {
    backend: engine.backend,
    ...stats(times),
    cpu_p50_ms: stats(cpu).p50_ms,
    cpu_p99_ms: stats(cpu).p99_ms,
    no_face_or_rejected: failures,
    event_loop_delay_p99_ms: Number((loopDelay.percentile(99) / 1e6).toFixed(1)),
    event_loop_delay_max_ms: Number((loopDelay.max / 1e6).toFixed(1)),
  };
}

/** The kiosk's detector settings (config defaults): 320 px input, no SSD second chance. */
const KIOSK_DETECTOR = faceDetectorOptions();

/** Our pipeline in this thread: the chain compared with face-api's, same module and backend. */
async function ours(images: Buffer[], matcher: FlatTemplateMatcher) {
  const engine = await createFaceEngine({ backend: 'auto', logger: pino({ level: 'silent' }), detector: KIOSK_DETECTOR });
  const timed = await timeChain(engine, images, matcher);
  const detection = engine.stats();
  await engine.close();
  return { ...timed, detection };
}

/** The same pipeline as the kiosk runs it: on the face worker thread. */
async function oursOnWorker(images: Buffer[], matcher: FlatTemplateMatcher) {
  const engine = await WorkerFaceEngine.start({ backend: 'auto', logger: pino({ level: 'silent' }), detector: KIOSK_DETECTOR });
  try {
    return await timeChain(engine, images, matcher);
  } finally {
    await engine.close();
  }
}

/** face-api's plain chain, with its detector at `inputSize` (its default 416, or the kiosk's size). */
async function plainFaceApi(images: Buffer[], matcher: FlatTemplateMatcher, inputSize: number) {
  // Same module instance and backend as our engine (loaded first): only the chain differs.
  const faceapi = createRequire(import.meta.url)('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApiTypes;
  const modelDir = defaultModelDir();
  await Promise.all([faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir), faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir), faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir)]);
  const times: number[] = [];
  const cpu: number[] = [];
  let failures = 0;
  for (const [i, image] of images.entries()) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const decoded = await decodeFrame(image);
    if (decoded.ok) {
      const tensor = faceapi.tf.tensor3d(decoded.frame.data, [decoded.frame.height, decoded.frame.width, 3], 'int32');
      const found = await faceapi.detectSingleFace(tensor, new faceapi.TinyFaceDetectorOptions({ inputSize })).withFaceLandmarks().withFaceDescriptor();
      tensor.dispose();
      if (found) void (matcher.identify(found.descriptor).score >= THRESHOLD);
      else failures += 1;
    } else failures += 1;
    if (i >= 5) {
      times.push(performance.now() - start);
      cpu.push(cpuMs(cpuStart));
    }
  }
  return { detector_input: inputSize, ...stats(times), cpu_p50_ms: stats(cpu).p50_ms, cpu_p99_ms: stats(cpu).p99_ms, no_face: failures };
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * The child runs as plain JavaScript, as the daemon does after `npm run build`: under the tsx
 * loader a process carries ~45 MB of compiler that a kiosk never has. esbuild comes with tsx.
 */
async function bundleChild(dir: string): Promise<string> {
  const esbuild = (await import('esbuild')) as Esbuild;
  // The face worker's thread script is bundled next to the child, where WorkerFaceEngine looks for it.
  await esbuild.build({
    entryPoints: { 'pipeline-child': join(here, '_pipeline-child.ts'), 'face-worker-thread': join(here, '../device/biometric/face-worker-thread.ts') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: dir,
    logLevel: 'silent',
  });
  return join(dir, 'pipeline-child.js');
}

/**
 * Camera-sized JPEG frames (1280x720, the camera default) with an LFW face in each, written to `dir`
 * here so the measured child only reads bytes, as the kiosk gets them from a camera: composing them
 * there would leave sharp's working memory in the figure.
 */
async function cameraFrames(images: string[], dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const [i, image] of images.entries()) {
    const face = await sharp(await readFile(image)).resize(400).toBuffer();
    const background = { width: 1280, height: 720, channels: 3 as const, background: { r: 128, g: 128, b: 128 } };
    const frame = await sharp({ create: background }).composite([{ input: face, left: 440, top: 160 }]).jpeg({ quality: 85 }).toBuffer();
    const file = join(dir, `frame-${i}.jpg`);
    await writeFile(file, frame);
    files.push(file);
  }
  return files;
}

/** How systemd/esik.service starts the kiosk: Node's flags on ExecStart and the plain Environment= lines. */
interface KioskProcess {
  nodeFlags: string[];
  env: Record<string, string>;
}

function kioskProcess(unit: string): KioskProcess {
  const exec = /^ExecStart=\/usr\/bin\/node ((?:--\S+ )*)\S*esik\.js run/m.exec(unit);
  if (exec === null) throw new Error('systemd/esik.service: no ExecStart running node on esik.js');
  const env: Record<string, string> = {};
  for (const [, key, value] of unit.matchAll(/^Environment=([A-Z_]+)=([^%\s]*)$/gm)) env[key] = value;
  return { nodeFlags: exec[1].trim().split(' ').filter((f) => f !== ''), env };
}

/** Runs a child in a fresh process started as the kiosk is (`kiosk`), and parses its JSON line. */
async function child(script: string, args: string[], kiosk: KioskProcess): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync(process.execPath, ['--expose-gc', ...kiosk.nodeFlags, script, ...args], {
    maxBuffer: 1 << 20,
    cwd: resolve(here, '..'),
    env: { ...process.env, ...kiosk.env },
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

export async function run(flags: string[]): Promise<object> {
  const count = flag(flags, 'images', 200);
  const galleryTemplates = flag(flags, 'gallery', 10_000);
  const paths = await lfwImagePaths(count + 5);
  const images = await Promise.all(paths.map((p) => readFile(p)));
  const matcher = randomGallery(galleryTemplates);
  const pipeline = await ours(images, matcher);
  const onWorker = await oursOnWorker(images, matcher);
  const plain = await plainFaceApi(images, matcher, 416);
  const plainAtKioskSize = await plainFaceApi(images, matcher, KIOSK_DETECTOR.tinyInputSize);
  // Inside the repository (var/ is git-ignored) so the bundle resolves node_modules like the daemon.
  await mkdir(resolve(here, '../var'), { recursive: true });
  const dir = await mkdtemp(join(resolve(here, '../var'), 'bench-pipeline-'));
  let ready: Record<string, unknown>;
  let rss: Record<string, unknown>;
  const kiosk = kioskProcess(await readFile(resolve(here, '../systemd/esik.service'), 'utf8'));
  try {
    const script = await bundleChild(dir);
    const frames = await cameraFrames(paths.slice(0, RSS_FRAMES), dir);
    rss = await child(script, ['rss', '100000', ...frames], kiosk);
    await child(script, ['seed', join(dir, 'store.db'), '50000'], kiosk);
    ready = await child(script, ['ready', join(dir, 'store.db')], kiosk);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    images: count,
    gallery_templates: galleryTemplates,
    detector: KIOSK_DETECTOR,
    ours: pipeline,
    ours_on_worker_thread: onWorker,
    faceapi_plain: plain,
    faceapi_plain_at_kiosk_input_size: plainAtKioskSize,
    rss_100k_templates_models_loaded: rss,
    kiosk_process: kiosk,
    ready_50k_templates: ready,
    targets: { p50_ms: 120, rss_mb: 300, ready_ms: 3000 },
    sharp_concurrency: sharp.concurrency(),
  };
}
