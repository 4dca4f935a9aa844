// Fresh-process measurements for bench/pipeline.ts (a process that already ran the latency loop
// would report its own leftovers): `rss N FRAME...` loads the models on their worker thread as the
// kiosk does, N templates, describes each camera FRAME (JPEG bytes, as a camera delivers them; the
// model's working memory settles over several frames, and it is counted) and reports memory; `seed DB N` writes N people with templates into a store; `ready DB`
// times a cold start to ready (face worker + store open + roster load + matcher filled, in parallel
// as the daemon does).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { FlatTemplateMatcher, FACE_ALGO } from '../biometric/index.js';
import { WorkerFaceEngine } from '../device/biometric/face-worker.js';
import { faceDetectorOptions } from '../device/config/index.js';
import { createFieldCipher, openStore, type EventClock, type RosterChange, type Store } from '../sync/store/index.js';

const silent = pino({ level: 'silent' });
const clock: EventClock = { wallMs: () => Date.now(), monoMs: () => performance.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
const KEY = Buffer.alloc(32, 7);
/** As the kiosk runs the detector (config defaults). */
const detector = faceDetectorOptions();

function randomUnitVector(): Float32Array {
  const v = new Float32Array(128);
  let norm = 0;
  for (let k = 0; k < 128; k += 1) {
    v[k] = Math.random() - 0.5;
    norm += v[k] * v[k];
  }
  return v.map((x) => x / Math.sqrt(norm));
}

function open(path: string): Promise<Store> {
  return openStore({ path, deviceId: 'bench', bootId: randomBytes(4).toString('hex'), clock, logger: silent, cipher: createFieldCipher(KEY, 'k-bench') });
}

async function rss(n: number, frames: string[]): Promise<object> {
  const engine = await WorkerFaceEngine.start({ backend: 'auto', logger: silent, detector });
  const matcher = new FlatTemplateMatcher({ modality: 'face', algo: FACE_ALGO, dimensions: 128 });
  for (let i = 0; i < n; i += 1) matcher.upsert({ id: `t-${i}`, personId: `p-${i}`, modality: 'face', algo: FACE_ALGO, vector: randomUnitVector() });
  matcher.identify(randomUnitVector());
  global.gc?.();
  const beforeFrame = process.memoryUsage().rss;
  let described = 0;
  for (const frame of frames) if ((await engine.extract(await readFile(frame))).ok) described += 1;
  if (described === 0) throw new Error('rss: no frame was described');
  global.gc?.();
  const mem = process.memoryUsage();
  await engine.close();
  return {
    templates: matcher.size(),
    frames: frames.length,
    frames_described: described,
    rss_mb_models_loaded_before_any_frame: beforeFrame / 1e6,
    rss_mb: mem.rss / 1e6,
    heap_mb: mem.heapUsed / 1e6,
    external_mb: mem.external / 1e6,
    array_buffers_mb: mem.arrayBuffers / 1e6,
  };
}

async function seed(path: string, n: number): Promise<object> {
  const store = await open(path);
  const changes: RosterChange[] = [];
  for (let i = 0; i < n; i += 1) {
    changes.push({ op: 'upsert', type: 'person', data: { id: `p-${i}`, name: `Pupil ${i}`, shortName: null, group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short' } });
    changes.push({ op: 'upsert', type: 'template', data: { id: `t-${i}`, personId: `p-${i}`, modality: 'face', algo: FACE_ALGO, vector: randomUnitVector() } });
  }
  await store.roster.applyPage(changes, 'c:1');
  await store.close();
  return { seeded: n };
}

async function ready(path: string): Promise<object> {
  const started = performance.now();
  const [engine, gallery] = await Promise.all([
    WorkerFaceEngine.start({ backend: 'auto', logger: silent, detector }).then((e) => ({ e, modelsMs: performance.now() - started })),
    (async () => {
      const store = await open(path);
      const snapshot = await store.roster.load();
      const matcher = new FlatTemplateMatcher({ modality: 'face', algo: FACE_ALGO, dimensions: 128 });
      for (const t of snapshot.templates) matcher.upsert(t);
      const loadedMs = performance.now() - started;
      await store.close();
      return { matcher, loadedMs };
    })(),
  ]);
  const readyMs = performance.now() - started;
  const result = { templates: gallery.matcher.size(), ready_ms: readyMs, models_ms: engine.modelsMs, gallery_ms: gallery.loadedMs, backend: engine.e.backend };
  await engine.e.close();
  return result;
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  let result: object;
  if (mode === 'rss' && b !== undefined) result = await rss(Number(a), process.argv.slice(4));
  else if (mode === 'seed' && a !== undefined) result = await seed(a, Number(b));
  else if (mode === 'ready' && a !== undefined) result = await ready(a);
  else throw new Error(`unknown mode ${String(mode)}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
