// `esik sync status | now`: through the running daemon's admin socket; when the daemon is down,
// status reads the store directly and `now` runs one sync cycle over it in this process.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { pino } from 'pino';
import { adminRequest, DaemonNotRunningError } from '../../admin/index.js';
import { SyncClient, createHubDispatcher } from '../../../sync/index.js';
import type { LoadedConfig } from '../../config/index.js';
import type { Store } from '../../../sync/store/index.js';
import { configFrom, fail, printJson, socketPathOf, text } from '../context.js';
import type { ReadOnlyStore } from '../../../sync/store/index.js';
import { withReadOnlyStore, withWritableOfflineStore } from '../offline-store.js';

type Loose = Record<string, unknown>;

function formatStatus(status: Loose): string {
  const lines = [
    `state      ${text(status.state)}${status.daemon === 'stopped' ? ' (daemon stopped)' : ''}`,
    `backlog    ${text(status.backlog)} pending, ${text(status.quarantined)} quarantined`,
    `last sync  ${text(status.lastSuccessAt) || 'never'}`,
    `next try   ${text(status.nextAttemptAt) || '-'}`,
    `roster     cursor ${text(status.rosterCursor) || '(none)'}`,
  ];
  if (status.lastError) lines.push(`last error ${text(status.lastError)}`);
  for (const q of Array.isArray(status.quarantine) ? (status.quarantine as Loose[]) : []) lines.push(`  quarantined #${text(q.seq)} ${text(q.type)}: ${text(q.error)}`);
  return `${lines.join('\n')}\n`;
}

async function offlineStatus(store: ReadOnlyStore): Promise<Loose> {
  const backlog = await store.backlog();
  const quarantine = await store.quarantined(20);
  return {
    daemon: 'stopped', state: 'stopped', backlog: backlog.pending, quarantined: backlog.quarantined, lastSuccessAt: null, nextAttemptAt: null,
    rosterCursor: await store.rosterCursor(), quarantine: quarantine.map((q) => ({ seq: q.event.seq, type: q.event.type, error: q.error })),
  };
}

async function offlineSyncNow(loaded: LoadedConfig, store: Store): Promise<Loose> {
  const { url, tokenFile, caFile, pins } = loaded.config.sync;
  if (!url || !tokenFile) throw new Error('sync.url and sync.tokenFile must be configured');
  const client = new SyncClient({
    baseUrl: url,
    deviceId: loaded.config.device.id,
    token: async () => (await readFile(tokenFile, 'utf8')).trim(),
    outbox: store.outbox,
    roster: store.roster,
    logger: pino({ level: 'warn' }, pino.destination(2)),
    dispatcher: url.startsWith('https:') ? createHubDispatcher({ ca: caFile ? await readFile(caFile) : undefined, pins }) : undefined,
  });
  // The daemon is down, so nobody needs the roster in memory and no command can reach a door.
  return { ...(await client.syncNow()), status: await client.status() };
}

/** Through the daemon; when it is down, `offline` runs on the store opened as it needs. */
async function viaDaemonOr<T>(daemon: () => Promise<T>, offline: () => Promise<T>): Promise<T> {
  try {
    return await daemon();
  } catch (error) {
    if (!(error instanceof DaemonNotRunningError)) throw error;
    return offline();
  }
}

export function registerSync(program: Command): void {
  const sync = program.command('sync').description('upstream hub: backlog, state, sync now');
  sync
    .command('status')
    .description('state (online, offline, backoff, unauthorized), backlog, quarantine, last sync')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      try {
        const loaded = await configFrom(command);
        const status = await viaDaemonOr(async () => (await adminRequest(socketPathOf(loaded), 'GET', '/v1/sync/status')) as Loose, () => withReadOnlyStore(loaded, offlineStatus));
        if (opts.json === true) printJson(status);
        else process.stdout.write(formatStatus(status));
      } catch (error) {
        fail(error);
      }
    });
  sync
    .command('now')
    .description('push the backlog and pull the roster now')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      try {
        const loaded = await configFrom(command);
        const result = await viaDaemonOr(
          async () => (await adminRequest(socketPathOf(loaded), 'POST', '/v1/sync/now', undefined, 120_000)) as Loose,
          // Pushing marks events synced and pulling writes the roster: this one writes.
          () => withWritableOfflineStore(loaded, (store) => offlineSyncNow(loaded, store)),
        );
        if (opts.json === true) printJson(result);
        else process.stdout.write(`${result.ok === true ? 'ok' : 'FAILED'}: pushed ${text(result.pushed)}, roster changes ${text(result.rosterApplied)}, commands ${text(result.commands)}${result.error ? `; ${text(result.error)}` : ''}\n`);
        if (result.ok !== true) process.exitCode = 1;
      } catch (error) {
        fail(error);
      }
    });
}
