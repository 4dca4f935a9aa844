// `esik simulate face IMAGE`: sends a photo to the running kiosk, which presents it as camera
// frames at a door and answers with the decision. The CLI only reads the file; nothing is written.
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import { MAX_FACE_IMAGE_BYTES } from '../../admin/index.js';
import { actor, configFrom, fail, printJson, socketPathOf, text } from '../context.js';

interface FaceOptions {
  door?: string;
  direction: string;
  frames?: string;
  json?: boolean;
}

function parseFrames(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const frames = Number(value);
  if (!Number.isInteger(frames) || frames < 1 || frames > 30) throw new Error(`--frames must be an integer 1..30, got "${value}"`);
  return frames;
}

async function readImage(path: string): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  if (info.size === 0 || info.size > MAX_FACE_IMAGE_BYTES) throw new Error(`${path}: an image must be 1..${MAX_FACE_IMAGE_BYTES} bytes (is ${info.size})`);
  return readFile(path);
}

function summary(result: Record<string, unknown>): string {
  if (result.result === 'pending') return `PENDING no decision after ${text(result.framesSent)} frame(s) (not recognised yet)\n`;
  const who = result.name ?? (result.reason === 'unknown' ? 'not recognised' : 'unknown');
  const reason = result.reason === null ? '' : ` reason=${text(result.reason)}`;
  const capture = result.capture === null || result.capture === undefined ? '' : ` capture=${text(result.capture)}`;
  return `${text(result.result).toUpperCase()} ${text(result.door)} ${text(result.direction)} ${text(who)}${reason}${capture} seq=${text(result.seq)}\n`;
}

/** Adds `face IMAGE` under the `simulate` command. */
export function registerSimulateFace(simulate: Command): void {
  simulate
    .command('face <image>')
    .description('present a face photo (JPEG/PNG) as camera frames at the door; prints the decision')
    .option('--door <name>', 'door name (default: the first door)')
    .option('--direction <in|out>', 'direction', 'in')
    .option('--frames <k>', 'frames to submit (default: the face policy consecutiveFrames)')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: FaceOptions, command: Command) => {
      try {
        if (opts.direction !== 'in' && opts.direction !== 'out') throw new Error(`--direction must be "in" or "out", got "${opts.direction}"`);
        const frames = parseFrames(opts.frames);
        const image = await readImage(path);
        const loaded = await configFrom(command);
        const body = { actor: actor(), image: image.toString('base64'), door: opts.door, direction: opts.direction, ...(frames === undefined ? {} : { frames }) };
        // The face engine may need a few seconds per frame on a Pi: a generous deadline.
        const result = (await adminRequest(socketPathOf(loaded), 'POST', '/v1/simulate/face', body, 120_000)) as Record<string, unknown>;
        if (opts.json === true) printJson(result);
        else process.stdout.write(summary(result));
      } catch (error) {
        fail(error);
      }
    });
}
