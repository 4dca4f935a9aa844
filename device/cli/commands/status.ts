import type { Command } from 'commander';
import { adminRequest, DaemonNotRunningError, diskFree } from '../../admin/index.js';
import { configFrom, fail, printJson, socketPathOf, text } from '../context.js';
import { withReadOnlyStore } from '../offline-store.js';

type Status = Record<string, unknown>;

function line(label: string, value: unknown): string {
  return `${label.padEnd(10)} ${text(value)}`;
}

type Loose = Record<string, unknown>;
const asList = (value: unknown): Loose[] => (Array.isArray(value) ? (value as Loose[]) : []);
const asObject = (value: unknown): Loose => (value !== null && typeof value === 'object' ? (value as Loose) : {});
const gib = (bytes: unknown): string => (typeof bytes === 'number' ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : '?');

function coreLines(status: Status): string[] {
  const kiosk = asObject(status.kiosk);
  const lines = [line('daemon', `${text(status.daemon)}${status.pid === undefined ? '' : ` (pid ${text(status.pid)}, up ${text(status.uptimeS)} s)`}`), line('device', status.deviceId)];
  if (status.kiosk !== undefined) {
    lines.push(line('mode', `${text(kiosk.mode)}; store ${kiosk.storeHealthy === true ? 'healthy' : 'FAILING'}; fail mode ${text(kiosk.failMode)}; held in memory ${text(kiosk.heldInMemory)}`));
  }
  for (const door of asList(status.doors)) {
    const alarms = asList(door.alarms).map(text).join(',') || '-';
    lines.push(line('door', `${text(door.name)} (${text(door.kind)}): ${door.locked === true ? 'locked' : 'UNLOCKED'}, ${door.open === null ? 'no sensor' : door.open === true ? 'open' : 'closed'}, mode ${text(door.mode)}, alarms ${alarms}`));
  }
  for (const reader of asList(status.readers)) lines.push(line('reader', `${text(reader.id)} ${text(reader.door)}/${text(reader.direction)}: ${text(reader.status)}`));
  if (status.roster !== undefined) lines.push(line('roster', status.roster));
  const clock = asObject(status.clock);
  if (status.clock !== undefined) lines.push(line('clock', `${clock.trusted === true ? 'trusted' : 'NOT trusted'}; ${typeof clock.wallMs === 'number' ? new Date(clock.wallMs).toISOString() : '?'}`));
  const disk = asObject(status.disk);
  if (status.disk !== undefined) lines.push(line('disk', `${gib(disk.freeBytes)} free of ${gib(disk.totalBytes)}`));
  const backlog = asObject(status.backlog);
  if (status.backlog !== undefined) lines.push(line('backlog', `${text(backlog.pending)} pending, ${text(backlog.quarantined)} quarantined`));
  return lines;
}

const CORE_KEYS = ['daemon', 'deviceId', 'kiosk', 'doors', 'readers', 'roster', 'clock', 'disk', 'backlog', 'events', 'bootId', 'pid', 'uptimeS'];

function formatStatus(status: Status): string {
  const lines = coreLines(status);
  for (const [key, value] of Object.entries(status)) if (!CORE_KEYS.includes(key)) lines.push(line(key, value));
  lines.push('last events:');
  for (const event of asList(asObject(status.events).recent)) {
    lines.push(`  #${text(event.seq)} ${text(event.at)} ${text(event.type)} ${text(event.door)} ${text(event.direction)} ${text(event.personId)} ${text(event.reason)}`);
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
          status = await withReadOnlyStore(loaded, async (store) => {
            const lastSeq = await store.lastSeq();
            return {
              daemon: 'stopped',
              deviceId: loaded.config.device.id,
              disk: await diskFree(loaded.config.device.stateDir),
              backlog: await store.backlog(),
              events: { lastSeq, recent: await store.eventsSince(Math.max(0, lastSeq - 10), 10) },
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
