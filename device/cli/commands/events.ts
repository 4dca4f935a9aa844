import type { Command } from 'commander';
import { adminRequest, DaemonNotRunningError } from '../../admin/index.js';
import type { StoredEvent } from '../../../sync/store/index.js';
import { configFrom, fail, socketPathOf } from '../context.js';
import { withReadOnlyStore } from '../offline-store.js';

interface EventsPage {
  lastSeq: number;
  events: StoredEvent[];
}

function formatEvent(event: StoredEvent, json: boolean): string {
  if (json) return JSON.stringify(event);
  const credential = event.credential === null ? '' : `${event.credential.kind}${event.credential.ref === undefined ? '' : `:${event.credential.ref}`}`;
  return [`#${event.seq}`, event.at, event.timeTrusted ? '' : '(clock untrusted)', event.type, event.door ?? '', event.direction ?? '', event.personId ?? '', credential, event.reason ?? '']
    .filter((part) => part !== '')
    .join(' ');
}

const sleep = (ms: number): Promise<void> => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

export function registerEvents(program: Command): void {
  const events = program.command('events').description('the event log');
  events
    .command('tail')
    .description('print the last events; with --follow, keep printing new ones')
    .option('-n, --lines <n>', 'how many past events', '20')
    .option('-f, --follow', 'keep printing new events (needs the running daemon)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { lines: string; follow?: boolean; json?: boolean }, command: Command) => {
      try {
        const loaded = await configFrom(command);
        const socketPath = socketPathOf(loaded);
        const count = Math.max(0, Math.min(1000, Number.parseInt(opts.lines, 10) || 20));
        const json = opts.json === true;
        const print = (list: StoredEvent[]): void => {
          for (const event of list) process.stdout.write(`${formatEvent(event, json)}\n`);
        };
        let page: EventsPage;
        try {
          const head = (await adminRequest(socketPath, 'GET', '/v1/events?after=0&limit=1')) as EventsPage;
          page = (await adminRequest(socketPath, 'GET', `/v1/events?after=${Math.max(0, head.lastSeq - count)}&limit=${Math.max(1, count)}`)) as EventsPage;
        } catch (error) {
          if (!(error instanceof DaemonNotRunningError) || opts.follow === true) throw error;
          print(await withReadOnlyStore(loaded, async (store) => (count === 0 ? [] : store.eventsSince(Math.max(0, (await store.lastSeq()) - count), count))));
          return;
        }
        print(count === 0 ? [] : page.events);
        let after = page.lastSeq;
        while (opts.follow === true) {
          await sleep(300);
          const next = (await adminRequest(socketPath, 'GET', `/v1/events?after=${after}&limit=500`)) as EventsPage;
          print(next.events);
          after = next.events.at(-1)?.seq ?? after;
        }
      } catch (error) {
        fail(error);
      }
    });
}
