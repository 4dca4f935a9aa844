// `esik key rotate`: a fresh template key; every sealed template and name re-sealed under it in one
// transaction; the key file switched atomically. Through the running kiosk when it answers on the
// admin socket, otherwise directly on the store (the kiosk is down, so the store is ours alone).
import type { Command } from 'commander';
import { adminRequest, DaemonNotRunningError } from '../../admin/index.js';
import { keyFileOf } from '../../kiosk/index.js';
import { rotateKeyOnStore, type KeyRotationResult } from '../../security/key-rotation.js';
import { actor, configFrom, fail, printJson, socketPathOf } from '../context.js';
import { withWritableOfflineStore } from '../offline-store.js';

async function rotate(command: Command): Promise<KeyRotationResult & { via: 'daemon' | 'store' }> {
  const loaded = await configFrom(command);
  try {
    const answer = (await adminRequest(socketPathOf(loaded), 'POST', '/v1/key/rotate', { actor: actor() })) as KeyRotationResult;
    return { ...answer, via: 'daemon' };
  } catch (error: unknown) {
    if (!(error instanceof DaemonNotRunningError)) throw error;
  }
  const result = await withWritableOfflineStore(loaded, (store) => rotateKeyOnStore(store, keyFileOf(loaded.config), actor()));
  return { ...result, via: 'store' };
}

export function registerKey(program: Command): void {
  const key = program.command('key').description('the template encryption key');
  key
    .command('rotate')
    .description('generate a new template key, re-seal all templates and names under it, switch the key file')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      try {
        const result = await rotate(command);
        if (opts.json === true) printJson(result);
        else process.stdout.write(`template key rotated to ${result.keyId}: ${result.rows} sealed field(s) re-sealed (${result.via === 'daemon' ? 'via the running kiosk' : 'kiosk not running: store updated directly'})\n`);
      } catch (error) {
        fail(error);
      }
    });
}
