// Loads face-api on a TF.js backend and the model weights from disk. Nothing is fetched over the
// network: the weights ship inside the @vladmandic/face-api npm package (model/).
//
// Backends: @tensorflow/tfjs-node is the fast native one but cannot be installed from the npm
// registry alone (its install script downloads libtensorflow), so it is optional: used when present
// ('auto' or 'tensorflow'); otherwise @tensorflow/tfjs-backend-wasm, whose .wasm ships in its package.
import { readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type * as FaceApiTypes from '@vladmandic/face-api';
import { installLeanForwardPasses } from './lean-forward.js';
import { tfCoreWithChainedOps } from './tf-core.js';

export type FaceApi = typeof FaceApiTypes;
export type BackendChoice = 'auto' | 'wasm' | 'tensorflow';

const require = createRequire(import.meta.url);

/** The part of TF.js's engine API face-api's bundled typings leave out. */
interface TfBackendControl {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  env(): { getAsync(flag: string): Promise<unknown> };
}

function backendControl(faceapi: FaceApi): TfBackendControl {
  return faceapi.tf as unknown as TfBackendControl;
}

/** The package's own model folder: resolved from the installed package, not from the cwd. */
export function defaultModelDir(): string {
  const pkg = require.resolve('@vladmandic/face-api/package.json');
  return join(dirname(pkg), 'model');
}

function loadTensorflowBuild(): FaceApi {
  // face-api.node.js requires @tensorflow/tfjs-node; a missing or broken native build throws here.
  return require('@vladmandic/face-api/dist/face-api.node.js') as FaceApi;
}

/** The parts of Node's CommonJS Module this loader uses (its typings leave out `_compile`). */
interface CommonJsModule {
  filename: string;
  paths: string[];
  loaded: boolean;
  exports: unknown;
  require: (id: string) => unknown;
  _compile(source: string, filename: string): void;
}

/**
 * face-api's wasm build on TF.js's core alone (tf-core.ts says why: 20 MB of RSS). The build's one
 * `require('@tensorflow/tfjs')` is answered with tfjs-core, the same module the wasm backend
 * registers with. The module goes into Node's require cache under its own file name, so a later
 * `require` of the build (the benches compare against face-api's own chain) gets this instance.
 */
function requireFaceApiOnCore(): FaceApi {
  const filename = require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const cached = require.cache[filename];
  if (cached !== undefined) return cached.exports as FaceApi;
  const local = createRequire(filename);
  const ModuleClass = Module as unknown as { new (id: string): CommonJsModule; _nodeModulePaths(dir: string): string[] };
  const mod = new ModuleClass(filename);
  mod.filename = filename;
  mod.paths = ModuleClass._nodeModulePaths(dirname(filename));
  mod.require = (id) => (id === '@tensorflow/tfjs' ? tfCoreWithChainedOps() : local(id));
  mod._compile(readFileSync(filename, 'utf8'), filename);
  mod.loaded = true;
  require.cache[filename] = mod as unknown as NodeJS.Module;
  return mod.exports as FaceApi;
}

async function loadWasmBuild(logger: Logger): Promise<FaceApi> {
  const faceapi = requireFaceApiOnCore();
  const wasm = require('@tensorflow/tfjs-backend-wasm') as {
    setWasmPaths(prefix: string): void;
  };
  // Point the backend at the .wasm files inside its own package (no CDN lookup).
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  wasm.setWasmPaths(`${wasmDir}/`);
  const tf = backendControl(faceapi);
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('TF.js wasm backend failed to initialise');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  logger.info({ simd }, 'TF.js wasm backend ready');
  return faceapi;
}

/** Returns face-api bound to a ready backend, and the backend's name for `esik status`. */
export async function loadFaceApi(choice: BackendChoice, logger: Logger): Promise<{ faceapi: FaceApi; backend: string }> {
  if (choice !== 'wasm') {
    try {
      const faceapi = loadTensorflowBuild();
      const tf = backendControl(faceapi);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
      await tf.ready();
      return { faceapi, backend: 'tensorflow' };
    } catch (error: unknown) {
      if (choice === 'tensorflow') {
        throw new Error(`backend "tensorflow" requested but @tensorflow/tfjs-node is not usable: ${String(error)}`, { cause: error });
      }
      logger.info('@tensorflow/tfjs-node is not installed; using the wasm backend');
    }
  }
  return { faceapi: await loadWasmBuild(logger), backend: 'wasm' };
}

export interface FaceNets {
  tiny: InstanceType<FaceApi['TinyFaceDetector']>;
  /** Null when the detector runs without its SSD second chance (never loaded, never in memory). */
  ssd: InstanceType<FaceApi['SsdMobilenetv1']> | null;
  landmarks: InstanceType<FaceApi['FaceLandmark68Net']>;
  recognition: InstanceType<FaceApi['FaceRecognitionNet']>;
}

/**
 * Fresh network instances per engine (not face-api's module-global `nets`), weights from disk, with
 * the detector's and the recogniser's forward passes that free each layer's activations as they go
 * (lean-forward.ts).
 */
export async function loadNets(faceapi: FaceApi, modelDir: string, options: { ssd: boolean } = { ssd: true }): Promise<FaceNets> {
  const nets: FaceNets = {
    tiny: new faceapi.TinyFaceDetector(),
    ssd: options.ssd ? new faceapi.SsdMobilenetv1() : null,
    landmarks: new faceapi.FaceLandmark68Net(),
    recognition: new faceapi.FaceRecognitionNet(),
  };
  await Promise.all([
    nets.tiny.loadFromDisk(modelDir),
    nets.ssd?.loadFromDisk(modelDir),
    nets.landmarks.loadFromDisk(modelDir),
    nets.recognition.loadFromDisk(modelDir),
  ]);
  installLeanForwardPasses(faceapi, nets);
  return nets;
}
