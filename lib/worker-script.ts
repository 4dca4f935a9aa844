// How a module starts one of this tree's worker threads. In a release the compiled .js sits next to
// the module that starts it; in a development checkout (sources run through tsx) the worker gets the
// .ts, loaded through tsx's loader registered inside the worker itself.
import type { WorkerOptions } from 'node:worker_threads';

/** The `Worker` constructor's script and `eval` flag for the thread module `name` beside `from`. */
export function workerScript(from: string, name: string): { script: string | URL; options: Pick<WorkerOptions, 'eval'> } {
  const ext = from.endsWith('.ts') ? 'ts' : 'js';
  const thread = new URL(`./${name}.${ext}`, from);
  if (ext === 'js') return { script: thread, options: { eval: false } };
  // tsx's ESM API, resolved from here (an eval'd worker would resolve from the working directory).
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(thread.href)}); });`;
  return { script: code, options: { eval: true } };
}
