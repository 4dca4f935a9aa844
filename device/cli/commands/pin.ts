// `esik pin set`: the technician PIN for admin surfaces reachable beyond localhost. The PIN is read
// from stdin (never from argv, which `ps` shows), hashed here with scrypt, and only the hash goes
// to the running kiosk (which writes it 0600 and uses it at once) or, kiosk down, to the file.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { adminRequest, DaemonNotRunningError } from '../../admin/index.js';
import { writePinHash } from '../../security/pin-guard.js';
import { hashPin } from '../../security/technician-pin.js';
import { actor, configFrom, fail, socketPathOf } from '../context.js';
import { withWritableOfflineStore } from '../offline-store.js';
import { auditEvent } from '../../system-events.js';

async function readPinFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('new technician PIN (4-12 digits): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  throw new Error('no PIN on stdin');
}

async function setPin(command: Command): Promise<'daemon' | 'store'> {
  const loaded = await configFrom(command);
  const file = loaded.config.security.pinHashFile;
  if (file === undefined) throw new Error('security.pinHashFile is not configured; set it in the config first');
  const hash = await hashPin(await readPinFromStdin());
  try {
    await adminRequest(socketPathOf(loaded), 'POST', '/v1/pin', { actor: actor(), hash });
    return 'daemon';
  } catch (error: unknown) {
    if (!(error instanceof DaemonNotRunningError)) throw error;
  }
  await writePinHash(file, hash);
  await withWritableOfflineStore(loaded, (store) =>
    store.events.append(auditEvent('pin.set', { actor: actor(), action: 'pin.set', file })),
  );
  return 'store';
}

export function registerPin(program: Command): void {
  const pin = program.command('pin').description('the technician PIN for admin surfaces beyond localhost');
  pin
    .command('set')
    .description('set the technician PIN (read from stdin); stores only its scrypt hash, mode 0600')
    .action(async (_opts: unknown, command: Command) => {
      try {
        const via = await setPin(command);
        process.stdout.write(`technician PIN set (${via === 'daemon' ? 'the running kiosk uses it now' : 'kiosk not running: hash file written'})\n`);
      } catch (error) {
        fail(error);
      }
    });
}
