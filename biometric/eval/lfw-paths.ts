// Where the LFW evaluation data live: LFW_DIR, else ESIK_DATA_DIR/lfw, else ../shared/data/lfw beside
// the repository (the photos are read in place, never copied into the project).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function defaultLfwDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LFW_DIR !== undefined && env.LFW_DIR !== '') return resolve(env.LFW_DIR);
  if (env.ESIK_DATA_DIR !== undefined && env.ESIK_DATA_DIR !== '') return resolve(env.ESIK_DATA_DIR, 'lfw');
  return resolve(repoRoot, '../shared/data/lfw');
}
