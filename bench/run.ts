// `npm run bench -- NAME [NAME...]`: runs bench/NAME.ts, each of which prints its JSON result as
// its last line. With no name, runs them all in sequence. Benchmarks compare against the
// alternative a user would pick, in the same run, and report ratios; tests never time things.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(args: string[]): Promise<unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const names = argv.filter((a) => !a.startsWith('--'));
  const flags = argv.filter((a) => a.startsWith('--'));
  const chosen = names.length > 0 ? names : available;
  for (const name of chosen) {
    if (!available.includes(name)) {
      console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as BenchModule;
    const result = await mod.run(flags);
    console.log(JSON.stringify({ bench: name, ...(result as object) }));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
