import type { Command } from 'commander';
import { adminRequest, DaemonNotRunningError, diskFree } from '../../admin/index.js';
import { configFrom, fail, printJson, socketPathOf, text } from '../context.js';
import { withOfflineStore } from '../offline-store.js';

type Status = Record<string, unknown>;

function line(label: string, value: unknown): string {
  return `${label.padEnd(10)} ${typeof value === 'string' ? value : JSON.stringify(value)}`;
}

function formatStatus(status: Status): string {
  const lines = [line('daemon', status.daemon), line('device', status.deviceId)];
  for (const key of ['kiosk', 'doors', 'readers', 'roster', 'clock', 'disk', 'backlog']) {
    if (status[key] !== undefined) lines.push(line(key, status[key]));
  }
  const events = status.events as { recent?: Array<Record<string, unknown>> } | undefined;
  for (const event of events?.recent ?? []) {
    lines.push(`  #${text(event.seq)} ${text(event.at)} ${text(event.type)} ${text(event.door)} ${text(event.direction)} ${text(event.personId)} ${text(event.reason)}`);
  }
  for (const [key, value] of Object.entries(status)) {
    if (!['daemon', 'deviceId', 'kiosk', 'doors', 'readers', 'roster', 'clock', 'disk', 'backlog', 'events', 'bootId', 'pid', 'uptimeS'].includes(key)) lines.push(line(key, value));
  }
  return `${lines.join('\n')}\n`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('mode, doors, readers, last events, disk, clock, sync backlog')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      try {
        const loaded = await configFrom(command);
        let status: Status;
        try {
          status = (await adminRequest(socketPathOf(loaded), 'GET', '/v1/status')) as Status;
        } catch (error) {
          if (!(error instanceof DaemonNotRunningError)) throw error;
          status = await withOfflineStore(loaded, async (store) => {
            const lastSeq = store.events.lastSeq();
            return {
              daemon: 'stopped',
              deviceId: loaded.config.device.id,
              disk: await diskFree(loaded.config.device.stateDir),
              backlog: await store.outbox.backlog(),
              events: { lastSeq, recent: await store.events.since(Math.max(0, lastSeq - 10), 10) },
            };
          });
        }
        if (opts.json === true) printJson(status);
        else process.stdout.write(formatStatus(status));
      } catch (error) {
        fail(error);
      }
    });
}
