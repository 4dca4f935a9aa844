// `esik enroll PERSON IMAGE...` (or `esik enroll --person ID IMAGE...`): one face template per
// image that shows exactly one good face; any other image is rejected with its reason. The
// descriptors are computed here, sent to the running daemon (which stores them encrypted and
// updates its matcher at once) or, when the daemon is down, written to the store directly.
// The images themselves are read into memory and never stored or copied.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { createFaceEngine, type FaceEngine } from '../../../biometric/index.js';
import { adminRequest, DaemonNotRunningError } from '../../admin/index.js';
import { encodeVector, enrolTemplates, type EnrolRequest } from '../../admin/index.js';
import { actor, configFrom, fail, printJson, socketPathOf } from '../context.js';
import { withWritableOfflineStore } from '../offline-store.js';

interface EnrollOptions {
  person?: string;
  modality: string;
  json?: boolean;
}

export interface ImageVerdict {
  file: string;
  accepted: boolean;
  reason?: string;
  detail?: string;
}

/** Extracts one template per acceptable image; the verdict list says why each other image was refused. */
export async function templatesFromImages(engine: FaceEngine, files: string[]): Promise<{ verdicts: ImageVerdict[]; templates: EnrolRequest['templates'] }> {
  const verdicts: ImageVerdict[] = [];
  const templates: EnrolRequest['templates'] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error: unknown) {
      verdicts.push({ file, accepted: false, reason: 'unreadable', detail: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const result = await engine.extract(bytes);
    if (!result.ok) {
      verdicts.push({ file, accepted: false, reason: result.reason, detail: result.detail });
      continue;
    }
    templates.push({ id: uuidv7(), modality: 'face', algo: engine.algo, vector: encodeVector(result.descriptor) });
    verdicts.push({ file, accepted: true });
  }
  return { verdicts, templates };
}

async function submit(command: Command, request: EnrolRequest): Promise<{ enrolled: number; via: 'daemon' | 'store' }> {
  const loaded = await configFrom(command);
  try {
    const answer = (await adminRequest(socketPathOf(loaded), 'POST', '/v1/enroll', request)) as { enrolled: number };
    return { enrolled: answer.enrolled, via: 'daemon' };
  } catch (error: unknown) {
    if (!(error instanceof DaemonNotRunningError)) throw error;
  }
  // Daemon down: the store is ours alone (the same rule as the other offline commands).
  const result = await withWritableOfflineStore(loaded, (store) =>
    enrolTemplates(
      {
        person: async (id) => (await store.roster.load()).people.get(id),
        apply: (changes) => store.roster.applyLocal(changes),
        record: (event) => store.events.append(event),
      },
      request,
    ),
  );
  return { enrolled: result.enrolled, via: 'store' };
}

function printVerdicts(verdicts: ImageVerdict[]): void {
  for (const v of verdicts) {
    const line = v.accepted ? `ok        ${basename(v.file)}` : `REJECTED  ${basename(v.file)}: ${v.reason ?? ''} (${v.detail ?? ''})`;
    process.stdout.write(`${line}\n`);
  }
}

async function enroll(command: Command, person: string, files: string[], opts: EnrollOptions): Promise<void> {
  if (opts.modality !== 'face') throw new Error('only --modality face is enrolled from images; palm templates come from the palm reader');
  if (files.length === 0) throw new Error('give at least one image file');
  const engine = await createFaceEngine({ backend: 'auto', logger: pino({ level: 'warn' }, process.stderr) });
  let extracted: Awaited<ReturnType<typeof templatesFromImages>>;
  try {
    extracted = await templatesFromImages(engine, files);
  } finally {
    await engine.close();
  }
  if (extracted.templates.length === 0) {
    if (opts.json === true) printJson({ personId: person, enrolled: 0, images: extracted.verdicts });
    else printVerdicts(extracted.verdicts);
    throw new Error('no image had exactly one good face; nothing enrolled');
  }
  const result = await submit(command, { actor: actor(), personId: person, source: 'cli', templates: extracted.templates });
  if (opts.json === true) printJson({ personId: person, enrolled: result.enrolled, via: result.via, images: extracted.verdicts });
  else {
    printVerdicts(extracted.verdicts);
    process.stdout.write(`enrolled ${result.enrolled} face template(s) for ${person} (${result.via === 'daemon' ? 'via the running kiosk' : 'kiosk not running: written to the store'})\n`);
  }
}

export function registerEnroll(program: Command): void {
  program
    .command('enroll [args...]')
    .description('enrol face templates from image files: esik enroll PERSON IMAGE... (or --person ID IMAGE...)')
    .option('--person <id>', 'person id (otherwise the first argument)')
    .option('--modality <face>', 'modality', 'face')
    .option('--json', 'print JSON')
    .action(async (args: string[], opts: EnrollOptions, command: Command) => {
      try {
        const person = opts.person ?? args[0];
        if (person === undefined) throw new Error('give a person id: esik enroll PERSON IMAGE...');
        await enroll(command, person, opts.person === undefined ? args.slice(1) : args, opts);
      } catch (error) {
        fail(error);
      }
    });
}
