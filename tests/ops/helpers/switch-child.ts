// Child process for the kill -9 tests: switches `current` back and forth forever, or runs one whole
// install, until the parent kills it at a random moment.
import pino from 'pino';
import { ReleaseLayout } from '../../../device/update/layout.js';
import { Updater } from '../../../device/update/updater.js';

const [mode, root, ...rest] = process.argv.slice(2);
if (!mode || !root) throw new Error('usage: switch-child.ts switch-loop|install ROOT ...');
const layout = new ReleaseLayout(root);

async function switchLoop(versions: string[]): Promise<void> {
  process.stdout.write('ready\n');
  for (let i = 0; ; i += 1) {
    await layout.switchTo(versions[i % versions.length] ?? '');
  }
}

async function installOnce(archive: string, healthTimeoutMs: number): Promise<void> {
  const updater = new Updater({
    layout,
    logger: pino({ level: 'silent' }),
    restart: () => Promise.resolve(),
    // Nothing listens there: the install always ends in an automatic rollback, if it lives that long.
    health: { url: 'http://127.0.0.1:9/health', timeoutMs: healthTimeoutMs, stableMs: 100, pollMs: 50 },
  });
  process.stdout.write('ready\n');
  await updater.install(archive);
  process.stdout.write('done\n');
}

if (mode === 'switch-loop') await switchLoop(rest);
else await installOnce(rest[0] ?? '', Number(rest[1] ?? 300));
