// `npm run screenshots` (with `npm start` running): the README's pictures of the simulator and the
// lobby board, taken by Debian's Chromium after a few cards were presented on the simulator page.
// Written through temp file, fsync and rename like every other file the project writes.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { safeWriteFile } from '../device/util/safe-write.js';
import { launchChromium } from './chromium.js';

const KIOSK = process.env.ESIK_DEMO_URL ?? 'http://127.0.0.1:8080';
const OUT = resolve(import.meta.dirname, '..', 'docs', 'img');
/** Three pupils, a member of staff, a blocked card and one nobody knows. */
const CARDS = ['04A2B91C', '04A2B91D', '04A2B920', '0A11C0DE', '04A2B924', 'DEADBEEF'];

async function main(): Promise<void> {
  await fetch(`${KIOSK}/sim`).catch(() => {
    throw new Error(`no demo kiosk at ${KIOSK}: run \`npm start\` first`);
  });
  await mkdir(OUT, { recursive: true });
  const chromium = await launchChromium({ width: 1280, height: 900 });
  try {
    const sim = await chromium.context.newPage();
    await sim.goto(`${KIOSK}/sim`);
    await sim.waitForSelector('#conn:not(.off)');
    for (const card of CARDS) {
      await sim.fill('#value', card);
      await sim.click('#present button[type="submit"]');
      await sim.waitForTimeout(400);
    }
    await safeWriteFile(resolve(OUT, 'sim.png'), await sim.screenshot({ fullPage: false }));
    const board = await chromium.context.newPage();
    await board.setViewportSize({ width: 1920, height: 1080 });
    await board.goto(`${KIOSK}/board`);
    await board.waitForSelector('#status', { state: 'hidden' });
    await board.waitForTimeout(500);
    await safeWriteFile(resolve(OUT, 'board.png'), await board.screenshot());
    process.stdout.write(`${JSON.stringify({ wrote: [resolve(OUT, 'sim.png'), resolve(OUT, 'board.png')] })}\n`);
  } finally {
    await chromium.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
